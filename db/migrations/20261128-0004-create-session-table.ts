import { DataTypes, type QueryInterface } from 'sequelize';
import type { MigrationParams } from 'umzug';

/** Sign-in sessions: the token is given to the client once; only its SHA-256 is stored. */
export async function up({ context: qi }: MigrationParams<QueryInterface>): Promise<void> {
  await qi.createTable('app_session', {
    token_hash: { type: DataTypes.STRING(64), primaryKey: true },
    user_id: { type: DataTypes.INTEGER, allowNull: false },
    created_at: { type: DataTypes.BIGINT, allowNull: false },
    expires_at: { type: DataTypes.BIGINT, allowNull: false },
  });
  await qi.addIndex('app_session', ['user_id'], { name: 'app_session_user' });
}

/** Drops the session table. */
export async function down({ context: qi }: MigrationParams<QueryInterface>): Promise<void> {
  await qi.dropTable('app_session');
}
