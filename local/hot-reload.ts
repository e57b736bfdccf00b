/**
 * Hot reload for `npm start`: watches the Lambda sources and, when a file changes, replaces the
 * containers of exactly the functions whose handler imports it (LocalLambda.reload: invocations in
 * flight finish on the old code, new ones run the new code).
 *
 * Which functions a file belongs to comes from esbuild's metafile (each handler bundled with its
 * packages left out: only the project's own files), recomputed on every change since imports
 * change too. The same build finds syntax errors and missing imports first: then the error is
 * reported and every function keeps its old code.
 */
import { type Dirent, type FSWatcher, readdirSync, statSync, watch } from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { PROJECT_ROOT } from '../lib/constructs/pipeline-function';
import type { LocalLambda } from './local-lambda';
import type { LocalFunction } from './stack-template';

export interface ReloadReport {
  /** the functions reloaded, by short name (functionLabel) */
  functions: string[];
  /** the functions not called yet: nothing to replace, they load the new code on their first call */
  notStarted: string[];
  /** the changed files, relative to the project */
  files: string[];
  /** from the build to the last container replaced */
  ms: number;
}

export interface LambdaWatcherOptions {
  lambdas: Iterable<LocalLambda>;
  /** folders to watch; default the project's lambdas/ */
  roots?: string[];
  /** changes closer together than this are one reload (an editor's save is often several events) */
  debounceMs?: number;
  onReload?: (report: ReloadReport) => void;
  /** a build or load error: the functions named keep their old code */
  onError?: (message: string, files: string[]) => void;
  /** esbuild's messages in colour */
  color?: boolean;
}

/**
 * `lambdas/webhook/handler.ts` → `webhook`; a second handler in a folder is named for itself
 * (`lambdas/fulfilment/printify-handler.ts` → `printify`); another file name is kept
 * (`reconciler/run`).
 */
export function functionLabel(fn: Pick<LocalFunction, 'entry' | 'logicalId'>): string {
  const parts = fn.entry.replace(/\\/g, '/').split('/');
  const file = (parts.pop() ?? '').replace(/\.[cm]?[jt]s$/, '');
  const folder = parts.pop();
  if (!folder) return fn.logicalId;
  if (file === 'handler' || file === 'index') return folder;
  return file.endsWith('-handler') ? file.slice(0, -'-handler'.length) : `${folder}/${file}`;
}

/** "reloaded webhook, cart in 1.2 s; email: not called yet, new code on its first call (lambdas/x.ts)" */
export function describeReload(report: ReloadReport): string {
  const parts: string[] = [];
  if (report.functions.length > 0) parts.push(`reloaded ${report.functions.join(', ')} in ${(report.ms / 1000).toFixed(1)} s`);
  if (report.notStarted.length > 0) parts.push(`${report.notStarted.join(', ')}: not called yet, new code on its first call`);
  return `${parts.join('; ')} (${report.files.join(', ')})`;
}

const SOURCE = /\.(?:[cm]?[jt]s|json)$/;
/** folders never watched */
const SKIPPED = new Set(['node_modules', '.git', 'cdk.out', '.local']);

/**
 * Watches every folder under the roots, each on its own (not fs.watch on the files, not Node's
 * recursive mode, which on Linux with Node 20 watches each file: a save by rename — sed -i, vim,
 * JetBrains — replaces the file's inode and that watch then follows the old one, so the file is
 * never seen again). A folder's watch sees a file written in place, created, renamed onto or
 * deleted; a new folder (a rename, a git checkout) is watched at once and its files reported.
 */
export class FolderWatcher {
  private readonly folders = new Map<string, FSWatcher>();
  private closed = false;

  constructor(private readonly onFile: (file: string) => void) {}

  /** Watches `folder` and every folder under it; reports their source files when `report`. */
  add(folder: string, report = false): void {
    if (this.closed || this.folders.has(folder)) return;
    let fsWatcher: FSWatcher;
    try {
      fsWatcher = watch(folder, (_event, name) => this.saw(folder, name === null ? undefined : String(name)));
    } catch {
      return; // gone already, or not a folder
    }
    fsWatcher.on('error', () => this.remove(folder));
    this.folders.set(folder, fsWatcher);
    let entries: Dirent[];
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED.has(entry.name)) this.add(full, report);
      } else if (report && SOURCE.test(entry.name)) this.onFile(full);
    }
  }

  /** How many folders are watched (for tests). */
  get size(): number {
    return this.folders.size;
  }

  close(): void {
    this.closed = true;
    for (const w of this.folders.values()) w.close();
    this.folders.clear();
  }

  private saw(folder: string, name: string | undefined): void {
    if (this.closed) return;
    if (name === undefined) {
      // the platform did not say which entry: look at the folder again
      this.add(folder, true);
      return;
    }
    const full = path.join(folder, name);
    let isFolder = false;
    try {
      isFolder = statSync(full).isDirectory();
    } catch {
      // deleted or renamed away: a folder among them is no longer watched
      this.remove(full);
    }
    if (isFolder) {
      if (!SKIPPED.has(name)) this.add(full, true);
    } else if (SOURCE.test(name)) this.onFile(full);
  }

  private remove(folder: string): void {
    for (const [watched, w] of this.folders) {
      if (watched === folder || watched.startsWith(`${folder}${path.sep}`)) {
        w.close();
        this.folders.delete(watched);
      }
    }
  }
}

/** Each entry's own source files (absolute), from one esbuild pass; throws esbuild's BuildFailure. */
export async function sourceFilesOf(entries: string[]): Promise<Map<string, Set<string>>> {
  const result = await esbuild.build({
    entryPoints: entries,
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    metafile: true,
    outdir: path.join(PROJECT_ROOT, '.local', 'hot-reload'),
    logLevel: 'silent',
  });
  const files = new Map<string, Set<string>>();
  for (const output of Object.values(result.metafile.outputs)) {
    if (!output.entryPoint) continue;
    files.set(
      path.resolve(PROJECT_ROOT, output.entryPoint),
      new Set(Object.keys(output.inputs).map((input) => path.resolve(PROJECT_ROOT, input))),
    );
  }
  return files;
}

/** the watchers open in this process: the last one to close stops esbuild's service */
let openWatchers = 0;

function isBuildFailure(error: unknown): error is esbuild.BuildFailure {
  return error instanceof Error && Array.isArray((error as Partial<esbuild.BuildFailure>).errors);
}

export class LambdaWatcher {
  private readonly lambdas: LocalLambda[];
  private readonly folders = new FolderWatcher((file) => this.saw(file));
  private readonly changed = new Set<string>();
  private timer?: NodeJS.Timeout;
  private queue: Promise<void> = Promise.resolve();
  private graph = new Map<string, Set<string>>();
  /** changes not yet applied: their build failed (they go with the next change) */
  private unapplied = new Set<string>();
  private closed = false;

  private constructor(private readonly options: LambdaWatcherOptions) {
    this.lambdas = [...options.lambdas];
  }

  /** Starts watching; resolves once the first dependency graph is known. */
  static async start(options: LambdaWatcherOptions): Promise<LambdaWatcher> {
    const watcher = new LambdaWatcher(options);
    openWatchers++;
    try {
      watcher.graph = await sourceFilesOf(watcher.entries());
    } catch {
      // a handler that does not build now: every change reloads whatever then builds
    }
    for (const root of options.roots ?? [path.join(PROJECT_ROOT, 'lambdas')]) watcher.folders.add(path.resolve(root));
    return watcher;
  }

  /** Settles once every change seen so far has been handled (for tests). */
  async settled(): Promise<void> {
    while (this.timer || this.changed.size > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    await this.queue;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // one esbuild process serves every build of this process (reused, not one per change); the
    // last watcher stops it once its builds are done
    openWatchers--;
    void this.queue.then(() => (openWatchers === 0 ? esbuild.stop() : undefined));
    clearTimeout(this.timer);
    this.timer = undefined;
    this.folders.close();
  }

  private entries(): string[] {
    return [...new Set(this.lambdas.map((l) => l.entryPath))];
  }

  private saw(file: string): void {
    if (this.closed) return;
    this.changed.add(file);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const files = [...this.changed];
      this.changed.clear();
      this.queue = this.queue.then(() => this.reload(files)).catch(() => undefined);
    }, this.options.debounceMs ?? 100);
  }

  private async reload(changed: string[]): Promise<void> {
    if (this.closed) return;
    const since = Date.now();
    const files = [...new Set([...this.unapplied, ...changed])];
    const relative = changed.map((f) => path.relative(PROJECT_ROOT, f));
    let graph: Map<string, Set<string>>;
    try {
      graph = await sourceFilesOf(this.entries());
    } catch (error) {
      const message = isBuildFailure(error)
        ? (await esbuild.formatMessages(error.errors, { kind: 'error', color: this.options.color ?? false })).join('').trimEnd()
        : String(error);
      for (const file of files) this.unapplied.add(file);
      this.options.onError?.(`build failed; the functions keep their old code:\n${message}`, relative);
      return;
    }
    this.unapplied.clear();
    const touched = (entry: string) => files.some((f) => graph.get(entry)?.has(f) || this.graph.get(entry)?.has(f));
    this.graph = graph;
    const affected = this.lambdas.filter((l) => touched(l.entryPath));
    if (affected.length === 0 || this.closed) return;
    const results = await Promise.allSettled(affected.map((l) => l.reload()));
    const reloaded: string[] = [];
    const notStarted: string[] = [];
    results.forEach((result, i) => {
      const label = functionLabel(affected[i]!.fn);
      if (result.status === 'fulfilled') (result.value ? reloaded : notStarted).push(label);
      else {
        const error = result.reason as Error;
        this.options.onError?.(`${label} did not load; it keeps its old code: ${error.name}: ${error.message}`, relative);
      }
    });
    if (reloaded.length + notStarted.length > 0)
      this.options.onReload?.({ functions: reloaded, notStarted, files: relative, ms: Date.now() - since });
  }
}
