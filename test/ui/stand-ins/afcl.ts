/**
 * Stand-in for AdminForth's `@/afcl` component library (contract §7 lists its exports). The ones the
 * plugin and the seed's custom component use (Button, ProgressBar, Spinner, Tooltip, JsonViewer)
 * take the same props and render the same structure as AdminForth's, with Tailwind's stock
 * palette in place of the app theme's colours; every other export exists (importing a name the
 * real library has must work) as a plain wrapper of its default slot.
 */
import { computed, defineComponent, h, type PropType } from 'vue';

export const buttonBaseStyles = 'afcl-button inline-flex items-center justify-center gap-2 rounded-lg px-4 py-2 text-sm font-medium focus:outline-none focus:ring-4 disabled:cursor-not-allowed disabled:opacity-50';
export const buttonVariantStyles: Record<string, string> = {
  primary: 'bg-blue-700 text-white hover:bg-blue-800 focus:ring-blue-300 dark:bg-blue-600 dark:hover:bg-blue-700 dark:focus:ring-blue-800',
  secondary: 'border border-gray-200 bg-white text-gray-900 hover:bg-gray-100 focus:ring-gray-100 dark:border-gray-600 dark:bg-gray-800 dark:text-gray-300 dark:hover:bg-gray-700 dark:focus:ring-gray-700',
  danger: 'bg-red-700 text-white hover:bg-red-800 focus:ring-red-300 dark:bg-red-600 dark:hover:bg-red-700 dark:focus:ring-red-900',
};

export const Spinner = defineComponent({
  name: 'Spinner',
  setup(_, { attrs }) {
    return () => h('svg', {
      'aria-hidden': 'true', role: 'status', viewBox: '0 0 100 101', fill: 'none',
      class: ['inline animate-spin text-gray-200 dark:text-gray-600 fill-blue-600', attrs.class],
    }, [
      h('path', { d: 'M100 50.59C100 78.2 77.61 100.59 50 100.59 22.39 100.59 0 78.2 0 50.59 0 22.98 22.39 0.59 50 0.59c27.61 0 50 22.39 50 50Zm-90.92 0c0 22.6 18.32 40.92 40.92 40.92 22.6 0 40.92-18.32 40.92-40.92 0-22.6-18.32-40.92-40.92-40.92-22.6 0-40.92 18.32-40.92 40.92Z', fill: 'currentColor' }),
      h('path', { d: 'M93.97 39.04c2.43-.64 3.9-3.13 3.04-5.49A50 50 0 0 0 41.73 1.28c-2.48.41-3.92 2.93-3.28 5.36.64 2.43 3.12 3.85 5.61 3.48a40.92 40.92 0 0 1 44.07 25.6c.9 2.34 3.4 3.96 5.84 3.32Z', fill: 'currentFill' }),
    ]);
  },
});

export const Button = defineComponent({
  name: 'Button',
  inheritAttrs: false,
  props: {
    loader: { type: Boolean, default: false },
    disabled: { type: Boolean, default: false },
    active: { type: Boolean, default: false },
    variant: { type: String, default: undefined },
    mode: { type: String, default: undefined },
    shadow: { type: Boolean, default: true },
  },
  setup(props, { attrs, slots }) {
    return () => {
      const { class: extra, ...rest } = attrs;
      const variant = props.variant ?? props.mode ?? 'primary';
      return h('button', {
        type: 'submit',
        ...rest,
        disabled: props.disabled || undefined,
        class: [buttonBaseStyles, buttonVariantStyles[variant] ?? buttonVariantStyles.primary, props.shadow ? 'shadow-sm' : '', extra],
      }, [props.loader ? h(Spinner, { class: 'w-4 h-4' }) : null, slots.default?.()]);
    };
  },
});

export const ProgressBar = defineComponent({
  name: 'ProgressBar',
  props: {
    currentValue: { type: Number, required: true },
    minValue: { type: Number, default: 0 },
    maxValue: { type: Number, default: 100 },
    leftLabel: { type: String, default: undefined },
    rightLabel: { type: String, default: undefined },
    formatter: { type: Function as PropType<(value: number) => string>, default: (value: number) => `${value}` },
    progressFormatter: { type: Function as PropType<(value: number, percentage: number) => string>, default: (value: number) => `${value}` },
    showLabels: { type: Boolean, default: undefined },
    showValues: { type: Boolean, default: true },
    showProgress: { type: Boolean, default: true },
  },
  setup(props) {
    const percentage = computed(() => Math.floor(((props.currentValue - props.minValue) / (props.maxValue - props.minValue)) * 1000) / 10);
    const text = 'text-sm text-gray-700 dark:text-gray-300';
    return () => h('div', { class: 'relative w-full max-w-[700px] bg-gray-200 rounded-full h-2.5 dark:bg-gray-700' }, [
      props.leftLabel ? h('span', { class: `absolute -top-6 left-0 ${text}` }, props.leftLabel) : null,
      props.rightLabel ? h('span', { class: `absolute -top-6 right-0 ${text}` }, props.rightLabel) : null,
      h('div', {
        class: 'bg-blue-600 dark:bg-blue-500 h-2.5 rounded-full transition-all duration-300 ease-in-out',
        style: { width: `${percentage.value}%` },
        role: 'progressbar',
        'aria-valuenow': props.currentValue,
        'aria-valuemin': props.minValue,
        'aria-valuemax': props.maxValue,
      }),
      props.showValues ? h('span', { class: `absolute top-4 left-0 ${text}` }, props.formatter(props.minValue)) : null,
      props.showProgress ? h('span', { class: `absolute top-4 right-1/2 translate-x-1/2 ${text}` }, props.progressFormatter(props.currentValue, percentage.value)) : null,
      props.showValues ? h('span', { class: `absolute top-4 right-0 ${text}` }, props.formatter(props.maxValue)) : null,
    ]);
  },
});

export const Tooltip = defineComponent({
  name: 'Tooltip',
  setup(_, { slots }) {
    return () => h('div', { class: 'group relative inline-flex' }, [
      slots.default?.(),
      slots.tooltip
        ? h('div', { role: 'tooltip', class: 'pointer-events-none absolute bottom-full left-1/2 z-20 mb-2 hidden -translate-x-1/2 whitespace-nowrap rounded-lg bg-gray-900 px-3 py-2 text-xs text-white shadow-sm group-hover:block dark:bg-gray-700' }, slots.tooltip())
        : null,
    ]);
  },
});

export const JsonViewer = defineComponent({
  name: 'JsonViewer',
  props: { value: { type: null, default: undefined }, expandDepth: { type: Number, default: 1 } },
  setup(props) {
    return () => h('pre', { class: 'overflow-auto text-xs text-gray-800 dark:text-gray-200' }, JSON.stringify(props.value, null, 2));
  },
});

function wrapper(name: string) {
  return defineComponent({
    name,
    setup(_, { slots }) {
      return () => h('div', { 'data-afcl': name }, slots.default?.());
    },
  });
}

export const Select = wrapper('Select');
export const Link = wrapper('Link');
export const Input = wrapper('Input');
export const LinkButton = wrapper('LinkButton');
export const VerticalTabs = wrapper('VerticalTabs');
export const Checkbox = wrapper('Checkbox');
export const Dropzone = wrapper('Dropzone');
export const AreaChart = wrapper('AreaChart');
export const BarChart = wrapper('BarChart');
export const PieChart = wrapper('PieChart');
export const TreeMapChart = wrapper('TreeMapChart');
export const Table = wrapper('Table');
export const Skeleton = wrapper('Skeleton');
export const Dialog = wrapper('Dialog');
export const MixedChart = wrapper('MixedChart');
export const CountryFlag = wrapper('CountryFlag');
export const Toggle = wrapper('Toggle');
export const DatePicker = wrapper('DatePicker');
export const Textarea = wrapper('Textarea');
export const ButtonGroup = wrapper('ButtonGroup');
export const Card = wrapper('Card');
export const Modal = wrapper('Modal');
