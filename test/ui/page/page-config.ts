/**
 * What the page reads from AdminForth's `GET /adminapi/v1/get_config` (the test host's answer,
 * test/host/http/rest-api.ts), and the header injections the plugin adds (contract §7).
 */
export const PLUGIN_FILES = '@@/plugins/BackgroundJobsPlugin';

export interface HeaderInjection {
  file: string;
  meta: { pluginInstanceId: string };
}

export interface PageConfig {
  loggedIn: boolean;
  user?: { pk: string; username: string };
  config: {
    brandName: string;
    plugins?: { className: string; pluginInstanceId: string }[];
  };
}

/** NavbarJobs and GlobalJobApi with the plugin instance's meta, as the plugin injects them. */
export function headerOf(config: PageConfig): HeaderInjection[] {
  const plugin = config.config.plugins?.find((p) => p.className === 'BackgroundJobsPlugin');
  if (!plugin) return [];
  const meta = { pluginInstanceId: plugin.pluginInstanceId };
  return [
    { file: `${PLUGIN_FILES}/NavbarJobs.vue`, meta },
    { file: `${PLUGIN_FILES}/GlobalJobApi.vue`, meta },
  ];
}

export async function loadConfig(): Promise<PageConfig> {
  const response = await fetch('/adminapi/v1/get_config');
  if (!response.ok) throw new Error(`GET /adminapi/v1/get_config answered ${response.status}`);
  return response.json();
}
