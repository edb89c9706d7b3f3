import { AdminForthDataTypes } from 'adminforth';
import type { AdminForthResourceInput } from 'adminforth';
import { randomUUID } from 'crypto';

export default {
  dataSource: 'maindb',
  table: 'adminuser',
  resourceId: 'adminuser',
  label: 'Admin Users',
  columns: [
    { name: 'id', primaryKey: true, type: AdminForthDataTypes.STRING, fillOnCreate: () => randomUUID() },
    { name: 'email', type: AdminForthDataTypes.STRING, isUnique: true, required: true, normalize: (v: unknown) => String(v).trim().toLowerCase() },
    { name: 'password_hash', type: AdminForthDataTypes.STRING, backendOnly: true },
    { name: 'role', type: AdminForthDataTypes.STRING, enum: [{ value: 'superadmin' }, { value: 'user' }] },
    { name: 'created_at', type: AdminForthDataTypes.DATETIME, fillOnCreate: () => new Date().toISOString() },
  ],
} as AdminForthResourceInput;
