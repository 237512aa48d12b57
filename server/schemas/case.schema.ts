import { z } from 'zod';
import { CASE_SOURCES } from '../../db/models/case.model.ts';

/** 受理登记: what any channel sends to open a case (`POST /api/cases`). */
export const IntakeSchema = z
  .object({
    source: z.enum(CASE_SOURCES),
    /** The source system's ticket id: posting the same ticket again returns the same case. */
    sourceTicketId: z.string().trim().min(1).max(64).optional(),
    reporterName: z.string().trim().max(64).optional(),
    reporterPhone: z
      .string()
      .trim()
      .regex(/^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$/, 'must be a mobile (11 digits) or a landline number')
      .optional(),
    description: z.string().trim().min(2, 'must describe the problem').max(4000),
    address: z.string().trim().max(255).optional(),
    /** WGS84. */
    lng: z.number().min(-180).max(180).optional(),
    lat: z.number().min(-90).max(90).optional(),
    /** 小类 code. */
    categoryCode: z
      .string()
      .trim()
      .regex(/^\d{2,5}$/, 'must be a category code')
      .optional(),
    urgency: z.enum(['normal', 'urgent', 'emergency']).default('normal'),
    majorEmergency: z.boolean().default(false),
    /** 自处理: the grid worker fixed it on the spot. */
    selfHandled: z.boolean().default(false),
  })
  .refine((v) => (v.lng === undefined) === (v.lat === undefined), {
    message: 'lng and lat go together',
    path: ['lat'],
  });

/** A parsed intake request. */
export type Intake = z.infer<typeof IntakeSchema>;
