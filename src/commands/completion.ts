/**
 * `af-jobs completion bash|zsh|fish`: prints a completion script for the shell on stdout, made
 * from the command tree (completion-spec.ts): commands and subcommands, each command's flags with
 * the global ones, and the values of flags that have a fixed set (`--status`, `-o`, ...).
 * Installing it is the user's step (docs/cli.md "Shell completion").
 */
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { CommandSpec, FlagSpec } from '../completion-spec.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

export interface CompletionOptions {
  shell: string;
  spec: CommandSpec;
}

/** Every command with its path (`''` for the program, `token create`, ...). */
function walk(spec: CommandSpec, path = ''): [string, CommandSpec][] {
  return [[path, spec], ...spec.subcommands.flatMap((sub) => walk(sub, path ? `${path} ${sub.name}` : sub.name))];
}

const flagWords = (flags: FlagSpec[]) => flags.flatMap((f) => (f.short ? [f.long, f.short] : [f.long]));
/** For single-quoted shell strings. */
const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/** Each flag with fixed values, once (the same name has the same values everywhere). */
function valueFlags(spec: CommandSpec): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const [, command] of walk(spec)) {
    for (const flag of command.flags) {
      if (!flag.values) continue;
      for (const word of flag.short ? [flag.long, flag.short] : [flag.long]) values.set(word, flag.values);
    }
  }
  return values;
}

function flagsTakingValues(spec: CommandSpec): string[] {
  const words = new Set<string>();
  for (const [, command] of walk(spec)) for (const flag of command.flags) if (flag.takesValue) for (const w of flagWords([flag])) words.add(w);
  return [...words].sort();
}

/**
 * The shared shell logic of bash and zsh: the command path is the words that name subcommands,
 * skipping flags and the value after a flag that takes one.
 */
function pathFunctions(spec: CommandSpec, prefix: string): string {
  const commands = walk(spec);
  return [
    `${prefix}_subcommands() {`,
    '  case "$1" in',
    ...commands.filter(([, c]) => c.subcommands.length > 0).map(([path, c]) => `    ${quote(path)}) echo ${quote(c.subcommands.map((s) => s.name).join(' '))} ;;`),
    '  esac',
    '}',
    `${prefix}_flags() {`,
    '  case "$1" in',
    ...commands.map(([path, c]) => `    ${quote(path)}) echo ${quote(flagWords(c.flags).join(' '))} ;;`),
    '  esac',
    '}',
    `${prefix}_values() {`,
    '  case "$1" in',
    ...[...valueFlags(spec)].map(([flag, values]) => `    ${quote(flag)}) echo ${quote(values.join(' '))} ;;`),
    '  esac',
    '}',
    `${prefix}_value_flags=${quote(` ${flagsTakingValues(spec).join(' ')} `)}`,
    `${prefix}_path() {`,
    '  local cmdpath="" word skip=0',
    '  for word in "$@"; do',
    '    if [ "$skip" = 1 ]; then skip=0; continue; fi',
    '    case "$word" in',
    '      --*=*) ;;',
    `      -*) case "${'$'}${prefix}_value_flags" in *" $word "*) skip=1 ;; esac ;;`,
    `      *) case " $(${prefix}_subcommands "$cmdpath") " in *" $word "*) cmdpath="\${cmdpath:+$cmdpath }$word" ;; esac ;;`,
    '    esac',
    '  done',
    '  printf %s "$cmdpath"',
    '}',
  ].join('\n');
}

function bash(spec: CommandSpec): string {
  return `# af-jobs completion for bash. Install:
#   af-jobs completion bash > ~/.local/share/bash-completion/completions/af-jobs
# or add to ~/.bashrc: source <(af-jobs completion bash)
${pathFunctions(spec, '_af_jobs')}
_af_jobs() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local cmdpath values
  cmdpath="$(_af_jobs_path "\${COMP_WORDS[@]:1:COMP_CWORD-1}")"
  values="$(_af_jobs_values "$prev")"
  if [ -n "$values" ]; then
    COMPREPLY=($(compgen -W "$values" -- "$cur"))
  elif case "$_af_jobs_value_flags" in *" $prev "*) true ;; *) false ;; esac; then
    COMPREPLY=($(compgen -f -- "$cur"))
  elif [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(_af_jobs_flags "$cmdpath")" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(_af_jobs_subcommands "$cmdpath")" -- "$cur"))
  fi
}
complete -F _af_jobs af-jobs
`;
}

function zsh(spec: CommandSpec): string {
  const described = walk(spec).filter(([, c]) => c.subcommands.length > 0).map(([path, c]) =>
    `    ${quote(path)}) lines=(${c.subcommands.map((s) => quote(`${s.name}:${oneLine(s.description).replace(/:/g, '\\:')}`)).join(' ')}) ;;`);
  return `#compdef af-jobs
# af-jobs completion for zsh. Install (a folder in $fpath, before compinit):
#   af-jobs completion zsh > "\${fpath[1]}/_af-jobs"
# or add to ~/.zshrc after compinit: source <(af-jobs completion zsh)
${pathFunctions(spec, '_af_jobs')}
_af_jobs_described() {
  local -a lines
  case "$1" in
${described.join('\n')}
  esac
  _describe 'command' lines
}
_af_jobs() {
  local cmdpath values prev="\${words[CURRENT-1]}"
  cmdpath="$(_af_jobs_path "\${(@)words[2,CURRENT-1]}")"
  values="$(_af_jobs_values "$prev")"
  if [[ -n "$values" ]]; then
    compadd -- \${=values}
  elif [[ "$_af_jobs_value_flags" == *" $prev "* ]]; then
    _files
  elif [[ "\${words[CURRENT]}" == -* ]]; then
    compadd -- \${=$(_af_jobs_flags "$cmdpath")}
  elif [[ -n "$(_af_jobs_subcommands "$cmdpath")" ]]; then
    _af_jobs_described "$cmdpath"
  fi
}
if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then
  _af_jobs "$@"
else
  compdef _af_jobs af-jobs
fi
`;
}

function fish(spec: CommandSpec): string {
  const lines = [
    '# af-jobs completion for fish. Install:',
    '#   af-jobs completion fish > ~/.config/fish/completions/af-jobs.fish',
    'complete -c af-jobs -f',
  ];
  const topNames = spec.subcommands.map((c) => c.name).join(' ');
  for (const [path, command] of walk(spec)) {
    const parts = path === '' ? [] : path.split(' ');
    // Where this command's words apply: its path was typed, and none of its subcommands yet.
    const conditions = parts.length === 0
      ? ['__fish_use_subcommand']
      : [`__fish_seen_subcommand_from ${parts[0]}`, ...(parts[1] ? [`__fish_seen_subcommand_from ${parts[1]}`] : [])];
    const notDeeper = command.subcommands.length ? [`not __fish_seen_subcommand_from ${command.subcommands.map((c) => c.name).join(' ')}`] : [];
    // `list` alone, not `token list`: a top-level command's words need no parent among the words.
    const parents = spec.subcommands.filter((c) => c.subcommands.length > 0 && c.name !== parts[0]).map((c) => c.name);
    const notNested = parts.length === 1 && parents.length ? [`not __fish_seen_subcommand_from ${parents.join(' ')}`] : [];
    const when = [...conditions, ...notNested].join('; and ');
    for (const sub of command.subcommands) {
      const subWhen = parts.length === 0 ? `not __fish_seen_subcommand_from ${topNames}` : [when, ...notDeeper].join('; and ');
      lines.push(`complete -c af-jobs -n ${quote(subWhen)} -a ${sub.name} -d ${quote(oneLine(sub.description))}`);
    }
    if (parts.length === 0) continue;
    for (const flag of command.flags) {
      const name = flag.long.startsWith('--') ? `-l ${flag.long.slice(2)}` : `-s ${flag.long.slice(1)}`;
      const short = flag.short ? ` -s ${flag.short.slice(1)}` : '';
      const value = flag.values ? ` -x -a ${quote(flag.values.join(' '))}` : flag.takesValue ? ' -r' : '';
      lines.push(`complete -c af-jobs -n ${quote(when)} ${name}${short}${value} -d ${quote(oneLine(flag.description))}`);
    }
  }
  for (const flag of spec.flags) {
    const short = flag.short ? ` -s ${flag.short.slice(1)}` : '';
    const value = flag.values ? ` -x -a ${quote(flag.values.join(' '))}` : flag.takesValue ? ' -r' : '';
    lines.push(`complete -c af-jobs -n '__fish_use_subcommand' -l ${flag.long.slice(2)}${short}${value} -d ${quote(oneLine(flag.description))}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function run(opts: CompletionOptions, ctx: Context): Promise<void> {
  const shell = opts.shell as Shell;
  if (!SHELLS.includes(shell)) throw new UsageError(`af-jobs completion: "${opts.shell}" is not one of: ${SHELLS.join(', ')}.`);
  const script = shell === 'bash' ? bash(opts.spec) : shell === 'zsh' ? zsh(opts.spec) : fish(opts.spec);
  ctx.stdout.write(script);
}
