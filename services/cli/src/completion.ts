/**
 * `causeway completion bash|zsh|fish`: shell completion scripts written from the command tree itself, so
 * every command, flag and flag choice (`-o table|yaml|json`, `--type ...`) the CLI has is completed, plus the
 * positional words it knows (resource types after `get` / `delete`, what `inspect` takes, shells).
 * zsh runs the bash function through its `bashcompinit`.
 */
import type { Command, Option } from 'commander';

interface Node {
  /** Words of the command path, space-joined ('' for the root). */
  path: string;
  subcommands: string[];
  flags: string[];
  /** Flag -> its choices. */
  choices: Record<string, string[]>;
  /** Words a positional argument can be. */
  words: string[];
}

export interface CompletionSpec {
  nodes: Node[];
  /** Every flag that takes a value (its next word is not a command). */
  valueFlags: string[];
  /** Flags completed with file names. */
  fileFlags: string[];
}

const spellings = (o: Option): string[] => [o.short, o.long].filter((s): s is string => typeof s === 'string');

/** Walks the command tree. `words` gives the positional words of a command path. */
export function completionSpec(program: Command, words: (path: string) => string[]): CompletionSpec {
  const nodes: Node[] = [];
  const valueFlags = new Set<string>();
  const fileFlags = new Set<string>();
  const walk = (cmd: Command, path: string) => {
    const visible = cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
    const options = cmd.options.filter((o) => !o.hidden);
    const node: Node = {
      path,
      subcommands: visible.flatMap((c) => [c.name(), ...c.aliases()]),
      flags: [...options.flatMap(spellings), '--help'],
      choices: {},
      words: words(path),
    };
    for (const o of options) {
      if (!o.required && !o.optional) continue;
      for (const s of spellings(o)) {
        valueFlags.add(s);
        if (o.argChoices) node.choices[s] = [...o.argChoices];
        if (/file|dir|cert/.test(o.long ?? '') || s === '-f') fileFlags.add(s);
      }
    }
    nodes.push(node);
    for (const c of visible) walk(c, path ? `${path} ${c.name()}` : c.name());
  };
  walk(program, '');
  return { nodes, valueFlags: [...valueFlags].sort(), fileFlags: [...fileFlags].sort() };
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const words = (xs: string[]) => xs.join(' ');

export function bashCompletion(spec: CompletionSpec, name = 'causeway'): string {
  const fn = `_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const root = spec.nodes.find((n) => n.path === '')!;
  const cases = spec.nodes.map((n) => `    ${q(n.path)}) _cw_subs=${q(words(n.subcommands))}; _cw_flags=${q(words(n.flags))}; _cw_words=${q(words(n.words))} ;;`);
  const choices = spec.nodes.flatMap((n) => Object.entries(n.choices).map(([f, c]) => `    ${q(`${n.path}|${f}`)}) echo ${q(words(c))} ;;`));
  return `# bash completion for ${name} (written by: ${name} completion bash)
#   source <(${name} completion bash)      or save it under /etc/bash_completion.d/${name}
${fn}_node() {
  case "$1" in
${cases.join('\n')}
    *) _cw_subs=''; _cw_flags=''; _cw_words='' ;;
  esac
}
${fn}_choices() {
  case "$1|$2" in
${choices.join('\n')}
  esac
}
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local path='' w i skip=0 _cw_subs _cw_flags _cw_words
  local value_flags=${q(` ${words(spec.valueFlags)} `)} file_flags=${q(` ${words(spec.fileFlags)} `)} global_flags=${q(words(root.flags))}
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if ((skip)); then skip=0; continue; fi
    case "$value_flags" in *" $w "*) skip=1; continue ;; esac
    case "$w" in -*) continue ;; esac
    ${fn}_node "$path"
    case " $_cw_subs " in *" $w "*) path="\${path:+$path }$w" ;; esac
  done
  ${fn}_node "$path"
  COMPREPLY=()
  case "$value_flags" in
    *" $prev "*)
      local ch
      ch="$(${fn}_choices "$path" "$prev")"
      if [[ -z $ch ]]; then ch="$(${fn}_choices '' "$prev")"; fi
      if [[ -n $ch ]]; then
        COMPREPLY=($(compgen -W "$ch" -- "$cur"))
      else
        case "$file_flags" in *" $prev "*) COMPREPLY=($(compgen -f -- "$cur")) ;; esac
      fi
      return 0
      ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$_cw_flags $global_flags" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$_cw_subs $_cw_words" -- "$cur"))
  fi
  return 0
}
complete -F ${fn} ${name}
`;
}

export function zshCompletion(spec: CompletionSpec, name = 'causeway'): string {
  return `#compdef ${name}
# zsh completion for ${name} (written by: ${name} completion zsh): save it as _${name} in a directory of
# $fpath, or: source <(${name} completion zsh). It runs the bash completion through zsh's bashcompinit.
autoload -U +X compinit && { (( $+functions[compdef] )) || compinit }
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(spec, name)}`;
}

/** fish's single quotes: only \\ and \' are escapes inside them. */
const fq = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function fishCompletion(spec: CompletionSpec, name = 'causeway'): string {
  const fn = `__${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const paths = spec.nodes.map((n) => n.path).filter((p) => p !== '');
  const lines: string[] = [
    `# fish completion for ${name} (written by: ${name} completion fish)`,
    `#   ${name} completion fish > ~/.config/fish/completions/${name}.fish`,
    `function ${fn}_path`,
    `    set -l paths ${paths.map(fq).join(' ')}`,
    `    set -l value_flags ${spec.valueFlags.map(fq).join(' ')}`,
    '    set -l tokens (commandline -opc)',
    '    set -e tokens[1]',
    "    set -l path ''",
    '    set -l skip 0',
    '    for w in $tokens',
    '        if test $skip = 1',
    '            set skip 0',
    '            continue',
    '        end',
    '        if contains -- $w $value_flags',
    '            set skip 1',
    '            continue',
    '        end',
    "        if string match -q -- '-*' $w",
    '            continue',
    '        end',
    '        set -l candidate (string trim -- "$path $w")',
    '        if contains -- $candidate $paths',
    '            set path $candidate',
    '        end',
    '    end',
    '    echo $path',
    'end',
    `function ${fn}_at`,
    `    set -l here (${fn}_path)`,
    '    test "$here" = "$argv[1]"',
    'end',
    `complete -c ${name} -f`,
  ];
  const flagSpec = (f: string) => (f.startsWith('--') ? `-l ${f.slice(2)}` : `-s ${f.slice(1)}`);
  for (const n of spec.nodes) {
    const cond = `-n '${fn}_at "${n.path}"'`;
    const all = [...n.subcommands, ...n.words];
    if (all.length > 0) lines.push(`complete -c ${name} ${cond} -a ${fq(words(all))}`);
    for (const f of n.flags) {
      const choices = n.choices[f];
      const takes = spec.valueFlags.includes(f);
      const file = spec.fileFlags.includes(f);
      lines.push(`complete -c ${name} ${cond} ${flagSpec(f)}${choices ? ` -xa ${fq(words(choices))}` : takes ? (file ? ' -rF' : ' -x') : ''}`);
    }
  }
  // The root's flags are global: offered after any command.
  const root = spec.nodes.find((n) => n.path === '')!;
  for (const f of root.flags) if (f !== '--help') lines.push(`complete -c ${name} ${flagSpec(f)}${spec.valueFlags.includes(f) ? (spec.fileFlags.includes(f) ? ' -rF' : ' -x') : ''}`);
  return `${lines.join('\n')}\n`;
}
