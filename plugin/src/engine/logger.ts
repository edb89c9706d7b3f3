/** How the engine reports what it does and what went wrong (the plugin passes AdminForth's logger). */
export type LogLevel = 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, message: string) => void;
