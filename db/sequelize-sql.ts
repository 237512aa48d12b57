import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';

/** Raw SQL with `?` parameters through Sequelize, optionally in a transaction (services, scripts). */
export function sequelizeSql(sequelize: Sequelize, transaction?: Transaction) {
  const dialect: 'sqlite' | 'mysql' = sequelize.getDialect() === 'sqlite' ? 'sqlite' : 'mysql';
  return {
    dialect,
    all: <T>(sql: string, params: readonly unknown[] = []): Promise<T[]> =>
      sequelize.query(sql, { replacements: [...params], type: QueryTypes.SELECT, transaction }) as Promise<
        T[]
      >,
    run: async (sql: string, params: readonly unknown[] = []): Promise<unknown> =>
      sequelize.query(sql, { replacements: [...params], transaction }),
  };
}
