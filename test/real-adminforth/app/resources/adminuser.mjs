// create-app's users resource (commands/createApp/templates/adminuser.ts.hbs), reduced to the
// columns the suite needs: no virtual password column, no hooks, no e-mail validation (the seeded
// usernames `adminforth` and `viewer` are not e-mail addresses).
import { AdminForthDataTypes } from 'adminforth';
import { randomUUID } from 'crypto';

async function allowedForSuperAdmin({ adminUser }) {
  return adminUser.dbUser.role === 'superadmin';
}

export default {
  dataSource: 'maindb',
  table: 'adminuser',
  resourceId: 'adminuser',
  label: 'Admin Users',
  options: {
    allowedActions: {
      edit: allowedForSuperAdmin,
      delete: allowedForSuperAdmin,
      create: allowedForSuperAdmin,
    },
  },
  columns: [
    {
      name: 'id',
      primaryKey: true,
      type: AdminForthDataTypes.STRING,
      fillOnCreate: ({ initialRecord, adminUser }) => randomUUID(),
      showIn: { edit: false, create: false },
    },
    {
      name: 'email',
      required: true,
      isUnique: true,
      type: AdminForthDataTypes.STRING,
      normalize: (value) => value.trim().toLowerCase(),
    },
    {
      name: 'created_at',
      type: AdminForthDataTypes.DATETIME,
      showIn: { edit: false, create: false },
      fillOnCreate: ({ initialRecord, adminUser }) => (new Date()).toISOString(),
    },
    {
      name: 'role',
      type: AdminForthDataTypes.STRING,
      required: true,
      enum: [
        { value: 'superadmin', label: 'Super Admin' },
        { value: 'user', label: 'User' },
      ],
    },
    {
      name: 'password_hash',
      type: AdminForthDataTypes.STRING,
      backendOnly: true,
      showIn: { all: false },
    },
  ],
};
