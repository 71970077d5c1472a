/**
 * `causeway completion bash|zsh|fish`: the scripts are written from the command tree; bash's is run in a
 * real bash to complete command lines (zsh and fish are syntax-checked when installed).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram, runCli } from './cli.js';
import { completionSpec } from './completion.js';
import type { CliIo } from './io.js';

function io(): CliIo & { out: string; err: string } {
  const x = {
    out: '',
    err: '',
    stdout(t: string) {
      x.out += t;
    },
    stderr(t: string) {
      x.err += t;
    },
    readStdin: async () => '',
    env: {},
    cwd: '/',
    home: '/nonexistent',
    now: () => 0,
  };
  return x;
}

async function script(shell: string): Promise<string> {
  const x = io();
  expect(await runCli(['completion', shell], x)).toBe(0);
  expect(x.err).toBe('');
  return x.out;
}

function has(bin: string): boolean {
  try {
    execFileSync(bin, ['-c', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let dir: string;
let bashFile: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'causeway-completion-'));
  bashFile = join(dir, 'causeway.bash');
  writeFileSync(bashFile, await script('bash'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What bash's completion offers for a command line (the last word is being completed; '' for a new word). */
function complete(words: string[]): string[] {
  const line = ['causeway', ...words];
  const program = `source ${JSON.stringify(bashFile)}
COMP_WORDS=(${line.map((w) => `'${w}'`).join(' ')})
COMP_CWORD=${line.length - 1}
_causeway
printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['--norc', '--noprofile', '-c', program]).toString().split('\n').filter((l) => l !== '');
}

describe('completion bash', () => {
  it('defines the completion function, registers it and lists the top-level commands', async () => {
    const text = await script('bash');
    expect(text).toMatch(/^_causeway\(\) \{$/m);
    expect(text).toContain('complete -F _causeway causeway');
    const top = buildProgram(io()).commands.map((c) => c.name());
    expect(top).toEqual(expect.arrayContaining(['config', 'apply', 'import', 'get', 'delete', 'inspect', 'generate', 'completion', 'version']));
    expect(text).toContain(`_cw_subs='${top.join(' ')}'`);
    expect(execFileSync('bash', ['-n', bashFile]).toString()).toBe('');
  });

  it('completes commands, subcommands, flags, flag choices and positional words in a real bash', () => {
    expect(complete(['ge'])).toEqual(['get', 'generate']);
    expect(complete([''])).toEqual(expect.arrayContaining(['config', 'apply', 'get', 'inspect', 'completion']));
    expect(complete(['config', ''])).toEqual(['view', 'control-planes']);
    expect(complete(['config', 'control-planes', 'add', '--ca'])).toEqual(['--ca-cert-file']);
    expect(complete(['generate', 't'])).toEqual(['tls-certificate']);
    expect(complete(['generate', 'tls-certificate', '--type', ''])).toEqual(['server', 'client']);
    expect(complete(['get', '-o', ''])).toEqual(['table', 'yaml', 'json']);
    expect(complete(['get', 'external-service-'])).toEqual(['external-service-insights', 'external-service-insight']);
    expect(complete(['delete', 'meshtim'])).toEqual(['meshtimeouts', 'meshtimeout']);
    expect(complete(['inspect', 'dataplane', 'web-1', '--type', ''])).toEqual(['policies', 'config-dump', 'stats', 'clusters', 'config']);
    expect(complete(['inspect', 'meshtr'])).toEqual(['meshtrafficpermission']);
    expect(complete(['inspect', 'se'])).toEqual(['services']);
    // a global flag's value is skipped when finding the command; global flags are offered everywhere
    expect(complete(['--control-plane', 'get', 'inspect', 'dataplane', 'x', '--ty'])).toEqual(['--type']);
    expect(complete(['get', '--con'])).toEqual(['--config-file', '--control-plane']);
    expect(complete(['completion', ''])).toEqual(['bash', 'zsh', 'fish']);
  });
});

describe('completion zsh and fish', () => {
  it('zsh: a #compdef file running the bash function through bashcompinit', async () => {
    const text = await script('zsh');
    expect(text.split('\n')[0]).toBe('#compdef causeway');
    expect(text).toContain('autoload -U +X bashcompinit && bashcompinit');
    expect(text).toContain('complete -F _causeway causeway');
    if (has('zsh')) expect(execFileSync('zsh', ['-n', '-c', text]).toString()).toBe('');
  });

  it('fish: complete lines per command path, with flag choices', async () => {
    const text = await script('fish');
    expect(text).toContain('complete -c causeway -f');
    expect(text).toContain(`complete -c causeway -n '__causeway_at ""' -a 'config apply import get delete inspect generate completion version'`);
    expect(text).toContain(`complete -c causeway -n '__causeway_at "get"' -s o -xa 'table yaml json'`);
    expect(text).toContain(`complete -c causeway -n '__causeway_at "generate tls-certificate"' -l type -xa 'server client'`);
    expect(text).toContain(`complete -c causeway -n '__causeway_at "config control-planes add"' -l ca-cert-file -rF`);
    if (has('fish')) expect(execFileSync('fish', ['--no-execute', '-c', text]).toString()).toBe('');
  });

  it('the spec covers every command path, and value flags are known', () => {
    const spec = completionSpec(buildProgram(io()), () => []);
    expect(spec.nodes.map((n) => n.path)).toEqual(expect.arrayContaining(['', 'config', 'config view', 'config control-planes add', 'generate zone-token', 'completion fish']));
    expect(spec.valueFlags).toEqual(expect.arrayContaining(['-o', '--output', '--type', '--config-file', '--headers', '--hostname']));
    expect(spec.valueFlags).not.toContain('--skip-verify');
    expect(spec.fileFlags).toEqual(expect.arrayContaining(['--config-file', '--ca-cert-file', '-f', '--key-file']));
  });

  it('an unknown shell is a usage error', async () => {
    const x = io();
    expect(await runCli(['completion', 'powershell'], x)).toBe(2);
    expect(x.err).toContain("unknown command 'powershell'");
  });
});
