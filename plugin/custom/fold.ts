/**
 * A section folded or not as the user left it last time, kept in localStorage under `key`
 * (not kept in private mode, where localStorage throws). Nothing but vue is imported.
 */
import { ref, type Ref } from 'vue';

export function rememberedFold(key: string): { open: Ref<boolean>; toggle(): void } {
  let initial = true;
  try {
    initial = typeof localStorage === 'undefined' || localStorage.getItem(key) !== '0';
  } catch {
    // private mode: open
  }
  const open = ref(initial);
  return {
    open,
    toggle() {
      open.value = !open.value;
      try {
        localStorage.setItem(key, open.value ? '1' : '0');
      } catch {
        // private mode: not remembered
      }
    },
  };
}
