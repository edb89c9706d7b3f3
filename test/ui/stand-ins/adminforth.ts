/**
 * Stand-in for AdminForth's `@/adminforth` (contract §7): `useAdminforth()` with `alert({ message,
 * variant, timeout? })` (a toast) and `confirm({ message, yes?, no? })` (a dialog resolving to
 * true when accepted), plus the list/menu helpers as no-ops. Toasts and the dialog are plain DOM
 * (no Vue app needed), styled like AdminForth's, so they show in browser screenshots.
 */

export interface AlertParams {
  message?: string;
  messageHtml?: string;
  variant?: 'success' | 'danger' | 'warning' | 'info';
  timeout?: number | 'unlimited';
}

export interface ConfirmParams {
  message?: string;
  messageHtml?: string;
  yes?: string;
  no?: string;
}

/** Every alert shown, for tests. */
export const alerts: AlertParams[] = [];

const VARIANT_CLASSES: Record<string, string> = {
  success: 'border-green-300 bg-green-50 text-green-800 dark:border-green-800 dark:bg-gray-800 dark:text-green-400',
  danger: 'border-red-300 bg-red-50 text-red-800 dark:border-red-800 dark:bg-gray-800 dark:text-red-400',
  warning: 'border-yellow-300 bg-yellow-50 text-yellow-800 dark:border-yellow-800 dark:bg-gray-800 dark:text-yellow-300',
  info: 'border-blue-300 bg-blue-50 text-blue-800 dark:border-blue-800 dark:bg-gray-800 dark:text-blue-400',
};

function toastContainer(): HTMLElement {
  let el = document.getElementById('af-toasts');
  if (!el) {
    el = document.createElement('div');
    el.id = 'af-toasts';
    el.className = 'fixed bottom-4 right-4 z-[100] flex flex-col gap-2';
    document.body.appendChild(el);
  }
  return el;
}

function alert(params: AlertParams): void {
  alerts.push(params);
  if (typeof document === 'undefined') return;
  const toast = document.createElement('div');
  toast.setAttribute('role', 'alert');
  toast.dataset.variant = params.variant ?? 'info';
  toast.className = `af-toast max-w-sm rounded-lg border px-4 py-3 text-sm shadow ${VARIANT_CLASSES[params.variant ?? 'info'] ?? VARIANT_CLASSES.info}`;
  toast.textContent = params.message ?? '';
  toastContainer().appendChild(toast);
  const timeout = params.timeout ?? 10;
  if (timeout !== 'unlimited') setTimeout(() => toast.remove(), timeout * 1000);
}

function confirm(params: ConfirmParams): Promise<boolean> {
  return new Promise((resolve) => {
    const overlay = document.createElement('div');
    overlay.className = 'af-confirm fixed inset-0 z-[90] flex items-center justify-center bg-gray-900/50';
    overlay.innerHTML = `
      <div class="w-full max-w-md rounded-lg bg-white p-6 shadow dark:bg-gray-700" role="dialog" aria-modal="true">
        <p class="af-confirm-message mb-5 text-gray-600 dark:text-gray-200"></p>
        <div class="flex justify-end gap-3">
          <button type="button" data-answer="no" class="rounded-lg border border-gray-200 bg-white px-4 py-2 text-sm text-gray-900 hover:bg-gray-100 dark:border-gray-500 dark:bg-gray-700 dark:text-gray-200"></button>
          <button type="button" data-answer="yes" class="rounded-lg bg-blue-700 px-4 py-2 text-sm text-white hover:bg-blue-800"></button>
        </div>
      </div>`;
    overlay.querySelector('.af-confirm-message')!.textContent = params.message ?? '';
    overlay.querySelector('[data-answer="yes"]')!.textContent = params.yes ?? 'Yes';
    overlay.querySelector('[data-answer="no"]')!.textContent = params.no ?? 'Cancel';
    overlay.addEventListener('click', (event) => {
      const answer = (event.target as HTMLElement).closest('[data-answer]')?.getAttribute('data-answer');
      if (!answer) return;
      overlay.remove();
      resolve(answer === 'yes');
    });
    document.body.appendChild(overlay);
  });
}

const api = {
  alert,
  confirm,
  list: {
    refresh: async () => ({}),
    silentRefresh: async () => ({}),
    silentRefreshRow: async () => ({}),
    closeThreeDotsDropdown: async () => ({}),
  },
  show: { refresh: () => {} },
  menu: { refreshMenuBadges: () => {} },
  closeUserMenuDropdown: () => {},
};

export function useAdminforth() {
  return api;
}

export default api;
