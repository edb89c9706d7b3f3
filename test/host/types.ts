/**
 * Public types of the test host, named and shaped like AdminForth's own (`types/Back.ts`,
 * `types/Common.ts`; contract §1–§5). Only what the plugin, the CLI and the demo touch.
 */
import type { IncomingMessage, ServerResponse, Server } from 'node:http';

export enum AdminForthDataTypes {
  STRING = 'string',
  INTEGER = 'integer',
  FLOAT = 'float',
  DECIMAL = 'decimal',
  BOOLEAN = 'boolean',
  DATE = 'date',
  DATETIME = 'datetime',
  TIME = 'time',
  TEXT = 'text',
  JSON = 'json',
  RICHTEXT = 'richtext',
}

/** Lowercase operator strings, contract §2.1 (`types/Common.ts:18-33`). */
export enum AdminForthFilterOperators {
  EQ = 'eq',
  NE = 'ne',
  GT = 'gt',
  LT = 'lt',
  GTE = 'gte',
  LTE = 'lte',
  LIKE = 'like',
  ILIKE = 'ilike',
  IN = 'in',
  NIN = 'nin',
  IS_EMPTY = 'isEmpty',
  IS_NOT_EMPTY = 'isNotEmpty',
  AND = 'and',
  OR = 'or',
}

export enum AdminForthSortDirections {
  asc = 'asc',
  desc = 'desc',
}

export interface IAdminForthSingleFilter {
  field: string;
  operator: AdminForthFilterOperators | `${AdminForthFilterOperators}`;
  value?: any;
  rightField?: string;
}
export interface IAdminForthAndOrFilter {
  operator: 'and' | 'or' | AdminForthFilterOperators.AND | AdminForthFilterOperators.OR;
  subFilters: IAdminForthFilter[];
}
export type IAdminForthFilter = IAdminForthSingleFilter | IAdminForthAndOrFilter;
export type IAdminForthFilterInput = IAdminForthFilter | IAdminForthFilter[] | undefined;

export interface IAdminForthSort {
  field: string;
  direction: AdminForthSortDirections | 'asc' | 'desc';
}

/** As real AdminForth types it (`types/Common.ts`): `pk` may be null, `dbUser` is untyped. */
export interface AdminUser {
  pk: string | null;
  username: string;
  dbUser: any;
  isExternalUser?: boolean;
  /** Present when the user came from a verified JWT (contract §3.3). */
  t?: string;
  iat?: number;
  exp?: number;
}

export interface AdminForthComponentDeclarationFull {
  file: string;
  meta?: Record<string, any>;
}
export type AdminForthComponentDeclaration = string | AdminForthComponentDeclarationFull;

/** Why an `allowedActions` value is being checked (`types/Common.ts` `ActionCheckSource`). */
export enum ActionCheckSource {
  DisplayButtons = 'displayButtons',
  ListRequest = 'listRequest',
  ShowRequest = 'showRequest',
  /** The edit page loading its record (core checks `show` then). */
  EditLoadRequest = 'editLoadRequest',
  EditRequest = 'editRequest',
  CreateRequest = 'createRequest',
  DeleteRequest = 'deleteRequest',
  BulkActionRequest = 'bulkActionRequest',
  CustomActionRequest = 'customActionRequest',
}

/** The keys of `options.allowedActions`, in AdminForth's order (`types/Common.ts`). */
export enum AllowedActionsEnum {
  show = 'show',
  list = 'list',
  edit = 'edit',
  create = 'create',
  delete = 'delete',
  filter = 'filter',
}

/**
 * A boolean, or a function of the request; a string answer refuses with that string as the
 * error (`types/Back.ts` `AllowedActionValue`). AdminForth types the function as returning a
 * Promise, so a synchronous one fails an app's type check there too.
 */
export type AllowedActionValue =
  | boolean
  | ((args: { adminUser: AdminUser; resource: AdminForthResource; meta: any; source: ActionCheckSource; adminforth: IAdminForth }) => Promise<boolean | string>);

/** `options.allowedActions` as an app writes it: any subset of the keys, or `all` alone. */
export type AllowedActionsInput = { [key in AllowedActionsEnum]?: AllowedActionValue } & { all?: AllowedActionValue };

/** `options.allowedActions` after config validation: every key present. */
export type AllowedActions = { [key in AllowedActionsEnum]: AllowedActionValue };

/** What `interpretResource` resolves: only the actions the check source needs, the rest `false`. */
export type AllowedActionsResolved = { [key in AllowedActionsEnum]: boolean | string };

/** `extra` of the data-source hooks: the request as the endpoint got it. */
export interface DataSourceHookExtra {
  body: any;
  query: Record<string, string>;
  headers: Record<string, string>;
  cookies: { key: string; value: string }[];
  requestUrl: string;
}

/** `hooks.list|show.beforeDatasourceRequest` (`types/Back.ts`): may change `query.filters`, `query.sort`, ... */
export type BeforeDataSourceRequestFunction = (params: {
  resource: AdminForthResource;
  adminUser: AdminUser;
  query: any;
  extra: DataSourceHookExtra;
  filtersTools: any;
  adminforth: IAdminForth;
}) => Promise<{ ok: boolean; error?: string | null; newRecordId?: string; redirectToRecordId?: string }>;

/** `hooks.list|show.afterDatasourceResponse` (`types/Back.ts`): `response` is the rows array. */
export type AfterDataSourceResponseFunction = (params: {
  resource: AdminForthResource;
  adminUser: AdminUser;
  query: any;
  response: any;
  extra: DataSourceHookExtra;
  adminforth: IAdminForth;
}) => Promise<{ ok: boolean; error?: string }>;

export interface AdminForthResourceColumnInput {
  name: string;
  label?: string;
  type?: AdminForthDataTypes | `${AdminForthDataTypes}`;
  primaryKey?: boolean;
  virtual?: boolean;
  required?: boolean | { create?: boolean; edit?: boolean };
  isUnique?: boolean;
  enum?: { value: any; label?: string }[];
  fillOnCreate?: (args: { initialRecord: Record<string, any>; adminUser: AdminUser | null }) => any;
  normalize?: (value: any) => any;
  showIn?: Record<string, boolean> | string[];
  foreignResource?: Record<string, any>;
  backendOnly?: boolean;
  [key: string]: any;
}

/** A column after discovery: the declared settings over the discovered ones (contract §1.3, §5). */
export interface AdminForthResourceColumn extends AdminForthResourceColumnInput {
  type: AdminForthDataTypes;
  /** The database's own type name as discovered (`_underlineType` in AdminForth). */
  _underlineType?: string;
}

export interface BeforeSaveFunction {
  (args: { resource: AdminForthResource; record: any; adminUser: AdminUser; recordId?: any; oldRecord?: any; [k: string]: any }):
    | Promise<{ ok: boolean; error?: string | null }>
    | { ok: boolean; error?: string | null };
}
export type AfterSaveFunction = BeforeSaveFunction;

export interface ResourceHooks {
  show?: { beforeDatasourceRequest?: BeforeDataSourceRequestFunction[]; afterDatasourceResponse?: AfterDataSourceResponseFunction[] };
  list?: { beforeDatasourceRequest?: BeforeDataSourceRequestFunction[]; afterDatasourceResponse?: AfterDataSourceResponseFunction[] };
  create?: { beforeSave?: BeforeSaveFunction[]; afterSave?: AfterSaveFunction[] };
  edit?: { beforeSave?: BeforeSaveFunction[]; afterSave?: AfterSaveFunction[] };
  delete?: { beforeSave?: BeforeSaveFunction[]; afterSave?: AfterSaveFunction[] };
  [k: string]: any;
}

export interface AdminForthResourceInput {
  dataSource: string;
  table: string;
  resourceId?: string;
  label?: string;
  columns: AdminForthResourceColumnInput[];
  options?: Record<string, any>;
  hooks?: Partial<Record<'create' | 'edit' | 'delete' | 'show' | 'list', Partial<Record<'beforeSave' | 'afterSave' | 'beforeDatasourceRequest' | 'afterDatasourceResponse', any>>>>;
  /** The label of a record (`_label` of `get_resource_data`); default `'<resource label> <pk>'`. */
  recordLabel?: (record: any) => string;
  plugins?: AdminForthPluginLike[];
  [key: string]: any;
}

export interface AdminForthResource {
  dataSource: string;
  table: string;
  resourceId: string;
  label: string;
  columns: AdminForthResourceColumn[];
  /** Non-virtual declared columns: what a row read through the resource API contains. */
  dataSourceColumns: AdminForthResourceColumn[];
  /**
   * Optional in real AdminForth's types, though its config validator always fills the three
   * arrays the host fills (contract §9.3): a plugin must not rely on them being typed present.
   */
  hooks?: ResourceHooks;
  plugins: AdminForthPluginLike[];
  /**
   * `options.allowedActions` holds every {@link AllowedActionsEnum} key after validation. Typed
   * loosely here: real AdminForth types `options` as `ResourceOptions`, whose `allowedActions` is
   * a required {@link AllowedActions}, so e.g. `options.allowedActions ??= {}` fails its type check.
   */
  options: Record<string, any>;
  /** Optional in AdminForth's types, though its config validator fills a default (`'<label> <pk>'`). */
  recordLabel?: (record: any) => string;
  [key: string]: any;
}

export interface AdminForthDataSource {
  id: string;
  url: string;
  connectionRecovery?: any;
}

export interface AdminForthInputConfig {
  baseUrl?: string;
  auth?: {
    usersResourceId: string;
    usernameField: string;
    passwordHashField: string;
    rememberMeDuration?: string;
    loginBackgroundImage?: string;
    loginBackgroundPosition?: string;
    loginPromptHTML?: any;
    loginRateLimits?: string[];
    websocketTopicAuth?: (topic: string, adminUser: AdminUser | null) => Promise<boolean>;
    websocketSubscribed?: (topic: string, adminUser: AdminUser | null) => void | Promise<void>;
    [key: string]: any;
  };
  customization?: {
    brandName?: string;
    customComponentsDir?: string;
    globalInjections?: Partial<Record<'userMenu' | 'header' | 'sidebar' | 'sidebarTop' | 'everyPageBottom', AdminForthComponentDeclaration | AdminForthComponentDeclaration[]>>;
    [key: string]: any;
  };
  dataSources: AdminForthDataSource[];
  resources: AdminForthResourceInput[];
  menu?: any[];
  globalPlugins?: AdminForthPluginLike[];
  componentsToExplicitRegister?: AdminForthComponentDeclarationFull[];
  [key: string]: any;
}

export interface AdminForthConfig {
  baseUrl: string;
  dataSources: AdminForthDataSource[];
  menu?: any[];
  globalPlugins?: AdminForthPluginLike[];
  componentsToExplicitRegister?: AdminForthComponentDeclarationFull[];
  [key: string]: any;
  resources: AdminForthResource[];
  customization: {
    brandName: string;
    brandNameSlug: string;
    customComponentsDir?: string;
    globalInjections: Record<'userMenu' | 'header' | 'sidebar' | 'sidebarTop' | 'everyPageBottom', AdminForthComponentDeclarationFull[]>;
    [key: string]: any;
  };
  auth?: AdminForthInputConfig['auth'] & {
    websocketTopicAuth: (topic: string, adminUser: AdminUser | null) => Promise<boolean>;
  };
}

/**
 * An entry of the list `activatePlugins` builds once and hands to every `modifyResourceConfig`
 * (contract §1.3). Typed as AdminForth types it; a global plugin's `resource` is null at run time.
 */
export interface PluginInstanceEntry {
  pi: AdminForthPluginLike;
  resource: AdminForthResource;
}

/** What core reads from a plugin (duck-typed, contract §1.2). */
export interface AdminForthPluginLike {
  pluginOptions: any;
  pluginInstanceId: string;
  className: string;
  pluginsScope: 'resource' | 'global';
  activationOrder: number;
  customFolderPath: string;
  modifyResourceConfig?(adminforth: IAdminForth, resourceConfig: AdminForthResource, allPluginInstances?: PluginInstanceEntry[]): void | Promise<void>;
  modifyGlobalConfig?(adminforth: IAdminForth): void | Promise<void>;
  validateConfigAfterDiscover?(adminforth: IAdminForth, resourceConfig: AdminForthResource): void | Promise<void>;
  setupEndpoints(server: IHttpServer): void;
  [key: string]: any;
}

/** `tr(msg, category, params?, plural?)` (contract §3.1). */
export type TranslateFunction = (msg: string, category?: string, params?: any, plural?: any) => Promise<string>;

export interface IAdminForthEndpointHandlerInput {
  body: any;
  query: Record<string, any>;
  headers: Record<string, any>;
  cookies: { key: string; value: string }[];
  /** Undefined on `noAuth` routes; real AdminForth types it so on every route (contract §10). */
  adminUser: AdminUser | undefined;
  response: {
    setHeader(name: string, value: string): void;
    setStatus(code: number, message?: string): void;
    blobStream(): ServerResponse;
  };
  requestUrl: string;
  _raw_express_req: IncomingMessage & { params: Record<string, string>; [k: string]: any };
  _raw_express_res: ServerResponse & { [k: string]: any };
  tr: TranslateFunction;
  abortSignal: AbortSignal;
}

/** What a handler of a route with login gets: `adminUser` is set (contract §3.1). */
export interface IAdminForthAuthenticatedEndpointHandlerInput extends IAdminForthEndpointHandlerInput {
  adminUser: AdminUser;
}

export interface IAdminForthEndpointOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  handler: (input: IAdminForthEndpointHandlerInput) => any;
  noAuth?: boolean;
  description?: string;
  /** A zod schema (converted to JSON Schema and checked with AJV in AdminForth; contract §3.1). */
  request_schema?: any;
  response_schema?: any;
  target?: 'json' | 'upload';
  meta?: any;
  agent?: any;
}

export interface IAdminForthAuthenticatedEndpointOptions extends Omit<IAdminForthEndpointOptions, 'handler' | 'noAuth'> {
  noAuth?: false;
  handler: (input: IAdminForthAuthenticatedEndpointHandlerInput) => any;
}

export interface IAdminForthNoAuthEndpointOptions extends Omit<IAdminForthEndpointOptions, 'handler' | 'noAuth'> {
  noAuth: true;
  handler: (input: IAdminForthEndpointHandlerInput) => any;
}

/** Two overloads, as in real AdminForth: only a `noAuth` route's handler may get no `adminUser`. */
export interface IHttpServer {
  endpoint(options: IAdminForthAuthenticatedEndpointOptions): void;
  endpoint(options: IAdminForthNoAuthEndpointOptions): void;
}

export interface IOperationalResource {
  get(filter?: IAdminForthFilterInput): Promise<Record<string, any> | null>;
  list(filter?: IAdminForthFilterInput, limit?: number | null, offset?: number | null, sort?: IAdminForthSort | IAdminForthSort[]): Promise<Record<string, any>[]>;
  count(filter?: IAdminForthFilterInput): Promise<number>;
  create(record: Record<string, any>): Promise<{ ok: true; createdRecord: Record<string, any>; error?: undefined } | { ok: false; error: string; createdRecord?: undefined }>;
  update(primaryKey: any, record: Record<string, any>): Promise<any>;
  delete(primaryKey: any): Promise<boolean>;
  dataConnector: { client: any; [k: string]: any };
}

export interface IWebSocketBroker {
  publish(topic: string, data: any, filterUsers?: (adminUser: AdminUser | null) => Promise<boolean> | boolean): Promise<void>;
  /** Host seam: accept `/afws` upgrades on the server `serve()` created (contract §4). */
  attach?(httpServer: Server): void;
  /** Host teardown: terminate every socket and stop accepting upgrades. */
  close?(): Promise<void>;
}

export interface IAdminForthAuth {
  issueJWT(payload: Record<string, any>, type: string, expiresIn?: string | number): string;
  verify(jwt: string, mustHaveType: string, decodeUser?: boolean): Promise<AdminUser | null>;
  setAuthCookie(args: { response: any; username: string; pk: string; expireInDuration?: string }): void;
  getCookieName(): string;
  [k: string]: any;
}

export interface IExpressHttpServer extends IHttpServer {
  serve(app: any): void;
  listen(port: number, host?: string | (() => void), cb?: () => void): Server;
  authorize(handler: (req: any, res: any, next?: any) => any): (req: any, res: any, next: any) => Promise<void>;
  /** The node http.Server created by `serve()` (undefined before). */
  server?: Server;
  /** Host teardown: closes the websocket server and the http server, destroying open connections. */
  close?(): Promise<void>;
}

export interface IAdminForth {
  config: AdminForthConfig;
  statuses: { dbDiscover: 'running' | 'done' | undefined };
  activatedPlugins: AdminForthPluginLike[];
  pluginsById: Record<string, AdminForthPluginLike>;
  resource(resourceId: string): IOperationalResource;
  getPluginByClassName<T>(className: string): T;
  getPluginsByClassName<T>(className: string): T[];
  getPluginById<T>(id: string): T;
  websocket: IWebSocketBroker;
  auth: IAdminForthAuth;
  express: IExpressHttpServer;
  discoverDatabases(): Promise<void>;
  [k: string]: any;
}
