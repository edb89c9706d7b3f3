/**
 * Boots the test page the way AdminForth's SPA boots: i18n as in spa/src/i18n.ts, the header
 * injections the plugin adds (contract §7) registered under the names AdminForth's code injector
 * gives them and rendered through `getCustomComponent`, and `componentsToExplicitRegister` (the
 * plugin's badge and the seed's `@@/JobCustomComponent.vue`, which the demo app registers).
 * The user and the plugin instance id come from the app's `get_config`.
 */
import './style.css';
import { createApp } from 'vue';
import { createI18n } from 'vue-i18n';
import { componentNameOf } from '@/utils';
import { isReady } from '@/websocket';
import Shell from './Shell.vue';
import NavbarJobs from '../../../plugin/custom/NavbarJobs.vue';
import GlobalJobApi from '../../../plugin/custom/GlobalJobApi.vue';
import JobStatusBadge from '../../../plugin/custom/JobStatusBadge.vue';
import JobCustomComponent from '@@/JobCustomComponent.vue';

const PLUGIN_FILES = '@@/plugins/BackgroundJobsPlugin';

async function start(): Promise<void> {
  const config = await (await fetch('/adminapi/v1/get_config')).json();
  const root = document.getElementById('app')!;
  if (!config.loggedIn) {
    root.textContent = 'Not logged in: POST /adminapi/v1/login first.';
    return;
  }
  const plugin = config.config.plugins.find((p: { className: string }) => p.className === 'BackgroundJobsPlugin');
  const meta = { pluginInstanceId: plugin.pluginInstanceId };
  const header = [
    { file: `${PLUGIN_FILES}/NavbarJobs.vue`, meta },
    { file: `${PLUGIN_FILES}/GlobalJobApi.vue`, meta },
  ];

  const app = createApp(Shell, { header, adminUser: config.user, brandName: config.config.brandName });
  app.use(createI18n({
    legacy: false,
    locale: 'en',
    missingWarn: false,
    fallbackWarn: false,
    missing: (_locale: string, key: string) => `${key} `,
  }));
  app.component(componentNameOf(`${PLUGIN_FILES}/NavbarJobs.vue`), NavbarJobs);
  app.component(componentNameOf(`${PLUGIN_FILES}/GlobalJobApi.vue`), GlobalJobApi);
  app.component(componentNameOf(`${PLUGIN_FILES}/JobStatusBadge.vue`), JobStatusBadge);
  app.component(componentNameOf('@@/JobCustomComponent.vue'), JobCustomComponent);
  app.mount(root);

  (window as any).__page = {
    meta,
    wsReady: () => isReady(),
    /** The demo's `POST /api/create-job/` (documented example job without a body). */
    startJob: async (body?: Record<string, unknown>) =>
      (await fetch('/api/create-job/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) })).json(),
  };
}

void start();
