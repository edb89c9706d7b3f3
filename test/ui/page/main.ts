/**
 * Boots the admin page the way AdminForth's SPA boots: i18n as in spa/src/i18n.ts, the header
 * injections the plugin adds (contract §7) registered under the names AdminForth's code injector
 * gives them and rendered through `getCustomComponent`, and `componentsToExplicitRegister` (the
 * plugin's badge and the seed's `@@/JobCustomComponent.vue`, which the demo app registers).
 * Page.vue then shows the login form or, once logged in, the shell with the navbar.
 */
import './style.css';
import { createApp } from 'vue';
import { createI18n } from 'vue-i18n';
import { componentNameOf } from '@/utils';
import Page from './Page.vue';
import { PLUGIN_FILES } from './page-config';
import NavbarJobs from '../../../plugin/custom/NavbarJobs.vue';
import GlobalJobApi from '../../../plugin/custom/GlobalJobApi.vue';
import JobStatusBadge from '../../../plugin/custom/JobStatusBadge.vue';
import JobCustomComponent from '@@/JobCustomComponent.vue';

const app = createApp(Page);
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
app.mount('#app');
