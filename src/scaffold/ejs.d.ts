// ejs ships no types; this is the part af-jobs uses.
declare module 'ejs' {
  interface Options {
    escape?: (value: unknown) => string;
    strict?: boolean;
    filename?: string;
  }
  const ejs: {
    render(template: string, data?: Record<string, unknown>, options?: Options): string;
  };
  export default ejs;
}
