import { z } from 'zod';
import { ROLES } from '../../db/models/user-role.model.ts';

// Request schemas parse `req.query`, `req.params` or `req.body` through `parseInput`; response schemas
// describe what the reference routes answer (for the OpenAPI document and the web client).

const id = z.coerce.number().int().positive();

/** The levels and kinds of org units (see db/models/org-unit.model.ts). */
export const ORG_LEVELS = ['city', 'town', 'village'] as const;
/** What an org unit is. */
export const ORG_KINDS = ['centre', 'station', 'department', 'joint_team'] as const;

/** `:id` of a reference resource (org unit, grid, category, user). */
export const ReferenceIdParamsSchema = z.object({ id });

/** `GET /api/org-units` filters. */
export const OrgUnitQuerySchema = z.object({
  parentId: id.optional(),
  level: z.enum(ORG_LEVELS).optional(),
  kind: z.enum(ORG_KINDS).optional(),
});

/** An org unit as the API shows it. */
export const OrgUnitSchema = z.object({
  id: z.number().int(),
  code: z.string(),
  name: z.string(),
  level: z.enum(ORG_LEVELS),
  kind: z.enum(ORG_KINDS),
  /** town | park for town centres, village | community for stations. */
  areaType: z.string().nullable(),
  /** The remit of a department (urban_management, ecology, …). */
  departmentKind: z.string().nullable(),
  parentId: z.number().int().nullable(),
  sortOrder: z.number().int(),
  active: z.boolean(),
});

/** One node of `GET /api/org-units/tree`: a unit with its children, in sort order. */
export const OrgUnitTreeNodeSchema = OrgUnitSchema.extend({
  get children(): z.ZodArray<typeof OrgUnitTreeNodeSchema> {
    return z.array(OrgUnitTreeNodeSchema);
  },
});

/** `GET /api/org-units` and `GET /api/org-units/tree`. */
export const OrgUnitListSchema = z.object({ items: z.array(OrgUnitSchema) });
/** The organisation as nested units (the city centre is the root). */
export const OrgUnitTreeSchema = z.object({ roots: z.array(OrgUnitTreeNodeSchema) });

const NUMBER = String.raw`\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)\s*`;

/**
 * `bbox=minLng,minLat,maxLng,maxLat` (WGS84 degrees, RFC 7946 order), parsed to four numbers: each in range,
 * min below max.
 */
export const BboxSchema = z
  .string()
  .regex(new RegExp(`^${NUMBER}(?:,${NUMBER}){3}$`), 'must be minLng,minLat,maxLng,maxLat (4 numbers)')
  .transform((text, ctx) => {
    const [minLng, minLat, maxLng, maxLat] = text.split(',').map(Number);
    const problems: string[] = [];
    if ([minLng, maxLng].some((v) => v < -180 || v > 180)) problems.push('longitudes lie in -180…180');
    if ([minLat, maxLat].some((v) => v < -90 || v > 90)) problems.push('latitudes lie in -90…90');
    if (!(minLng < maxLng)) problems.push('minLng is below maxLng');
    if (!(minLat < maxLat)) problems.push('minLat is below maxLat');
    if (problems.length > 0) {
      ctx.addIssue({ code: 'custom', message: `must satisfy: ${problems.join(', ')}`, input: text });
      return z.NEVER;
    }
    return { minLng, minLat, maxLng, maxLat };
  });

/** `GET /api/grids` filters; only grids valid on the current day are listed. */
export const GridQuerySchema = z.object({
  townId: id.optional(),
  villageId: id.optional(),
  /** Grids whose bounding box intersects this box. */
  bbox: BboxSchema.optional(),
});

/** `GET /api/grids/locate`: a WGS84 point. */
export const GridLocateQuerySchema = z.object({
  lat: z.coerce.number().min(-90).max(90),
  lng: z.coerce.number().min(-180).max(180),
});

const position = z.tuple([z.number(), z.number()]);

/** A GeoJSON MultiPolygon in WGS84 `[lng, lat]` (RFC 7946 §3.1.7). */
export const MultiPolygonSchema = z.object({
  type: z.literal('MultiPolygon'),
  coordinates: z.array(z.array(z.array(position))),
});

/** The properties of a grid's Feature. */
export const GridPropertiesSchema = z.object({
  id: z.number().int(),
  code: z.string(),
  name: z.string(),
  villageId: z.number().int(),
  townId: z.number().int().nullable(),
  validFrom: z.string(),
  validTo: z.string().nullable(),
});

/** One grid as a GeoJSON Feature (`GET /api/grids/:id`). */
export const GridFeatureSchema = z.object({
  type: z.literal('Feature'),
  id: z.number().int(),
  geometry: MultiPolygonSchema,
  properties: GridPropertiesSchema,
});

/** Grids as a GeoJSON FeatureCollection (`GET /api/grids`). */
export const GridFeatureCollectionSchema = z.object({
  type: z.literal('FeatureCollection'),
  features: z.array(GridFeatureSchema),
});

const place = z.object({ id: z.number().int(), code: z.string(), name: z.string() });

/** Where a point lies (`GET /api/grids/locate`): all null outside every grid. */
export const GridLocationSchema = z.object({
  grid: place.nullable(),
  village: place.nullable(),
  town: place.nullable(),
});

/** `GET /api/categories` filters. */
export const CategoryQuerySchema = z.object({
  /** Words of the name, or the start of the code. */
  q: z.string().trim().min(1).max(64).optional(),
  level: z.enum(['major', 'minor']).optional(),
  root: z.enum(['event', 'component', 'social']).optional(),
  /** 小类 of one 大类. */
  parentCode: z
    .string()
    .trim()
    .regex(/^\d{2,5}$/, 'must be a category code')
    .optional(),
  active: z.stringbool().optional(),
});

/** A category (大类 or 小类) with its parent and the time limit of each stage. */
export const CategorySchema = z.object({
  id: z.number().int(),
  code: z.string(),
  name: z.string(),
  root: z.enum(['event', 'component', 'social']),
  level: z.enum(['major', 'minor']),
  parentCode: z.string().nullable(),
  /** The 大类 of a 小类; null for a 大类. */
  parent: z.object({ id: z.number().int(), code: z.string(), name: z.string() }).nullable(),
  departmentKind: z.string().nullable(),
  urgency: z.enum(['normal', 'urgent', 'emergency']),
  registerCondition: z.string().nullable(),
  closeCondition: z.string().nullable(),
  /** Time limits in working minutes, as stored. */
  limits: z.object({
    acceptMin: z.number().int(),
    dispatchMin: z.number().int(),
    handleMin: z.number().int(),
    verifyMin: z.number().int(),
    closeMin: z.number().int(),
  }),
  version: z.number().int(),
  active: z.boolean(),
});

/** `GET /api/categories`. */
export const CategoryListSchema = z.object({ items: z.array(CategorySchema) });

/** `GET /api/users` filters and paging. */
export const UserQuerySchema = z.object({
  orgUnitId: id.optional(),
  role: z.enum(ROLES).optional(),
  /** Part of the username or the display name. */
  q: z.string().trim().min(1).max(64).optional(),
  active: z.stringbool().optional(),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(20),
});

const username = z
  .string()
  .trim()
  .min(3)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, "must be lowercase letters, digits, '.', '_' or '-'");
const displayName = z.string().trim().min(1).max(128);
const phone = z
  .string()
  .trim()
  .regex(/^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$/, 'must be a mobile (11 digits) or a landline number');
/** Passwords: at least 10 characters; stored only as an argon2id hash. */
const password = z.string().min(10, 'must be at least 10 characters').max(256);
const roles = z
  .array(z.enum(ROLES))
  .min(1, 'must name at least one role')
  .refine((list) => new Set(list).size === list.length, 'must not repeat a role');
const gridIds = z
  .array(z.number().int().positive())
  .max(50)
  .refine((list) => new Set(list).size === list.length, 'must not repeat a grid');

/** `POST /api/users`: a new user (admin only). */
export const CreateUserSchema = z.strictObject({
  username,
  displayName,
  phone: phone.optional(),
  password,
  roles,
  orgUnitId: z.number().int().positive(),
  /** The grids a grid worker covers: grids of the user's village station. */
  gridIds: gridIds.optional(),
  active: z.boolean().default(true),
});

/** `PATCH /api/users/:id`: the fields to change (admin only; the username never changes). */
export const UpdateUserSchema = z
  .strictObject({
    displayName: displayName.optional(),
    phone: phone.nullable().optional(),
    password: password.optional(),
    roles: roles.optional(),
    orgUnitId: z.number().int().positive().optional(),
    gridIds: gridIds.optional(),
    active: z.boolean().optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), 'must change at least one field');

/** A user as the API shows it: never the password hash; the phone masked. */
export const UserViewSchema = z.object({
  id: z.number().int(),
  username: z.string(),
  displayName: z.string(),
  /** Masked: `138****5678`. */
  phone: z.string().nullable(),
  orgUnit: z.object({
    id: z.number().int(),
    code: z.string(),
    name: z.string(),
    level: z.enum(ORG_LEVELS),
    kind: z.enum(ORG_KINDS),
  }),
  roles: z.array(z.enum(ROLES)),
  gridIds: z.array(z.number().int()),
  active: z.boolean(),
});

/** `GET /api/users`: one page and the total. */
export const UserPageSchema = z.object({
  items: z.array(UserViewSchema),
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
});

/** Parsed `GET /api/org-units` filters. */
export type OrgUnitQuery = z.infer<typeof OrgUnitQuerySchema>;
/** An org unit as the API shows it. */
export type OrgUnitView = z.infer<typeof OrgUnitSchema>;
/** An org unit with its children. */
export type OrgUnitTreeNode = z.infer<typeof OrgUnitTreeNodeSchema>;
/** Parsed `GET /api/grids` filters. */
export type GridQuery = z.infer<typeof GridQuerySchema>;
/** A grid as a GeoJSON Feature. */
export type GridFeature = z.infer<typeof GridFeatureSchema>;
/** Grids as a GeoJSON FeatureCollection. */
export type GridFeatureCollection = z.infer<typeof GridFeatureCollectionSchema>;
/** Where a point lies. */
export type GridLocation = z.infer<typeof GridLocationSchema>;
/** Parsed `GET /api/categories` filters. */
export type CategoryQuery = z.infer<typeof CategoryQuerySchema>;
/** A category as the API shows it. */
export type CategoryView = z.infer<typeof CategorySchema>;
/** Parsed `GET /api/users` filters. */
export type UserQuery = z.infer<typeof UserQuerySchema>;
/** A parsed new user. */
export type CreateUser = z.infer<typeof CreateUserSchema>;
/** A parsed user change. */
export type UpdateUser = z.infer<typeof UpdateUserSchema>;
/** A user as the API shows it. */
export type UserView = z.infer<typeof UserViewSchema>;
