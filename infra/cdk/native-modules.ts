// Native npm packages (FunctionSpec.nodeModules, e.g. sharp) for the Lambda platform, linux-arm64 glibc.
//
// Why not CDK's own `bundling.nodeModules`: it runs `npm ci` in the asset directory on the build host, which
// installs the host's binaries (linux-x64 here, darwin on a Mac): the classic "sharp works locally, fails on
// Lambda" bug. Instead `infra/cdk/lambda-native/` is a tiny npm project whose `.npmrc` (cpu=arm64, os=linux,
// libc=glibc) makes npm fetch the Lambda-platform packages; the root `postinstall` (`npm run cdk:native`)
// installs it during `npm ci`, so synthesis itself needs no network. The afterBundling hook copies the
// closure of each requested package from there into the function's asset, next to the esbuild output.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const NATIVE_DIR = path.join(REPO_ROOT, 'infra/cdk/lambda-native');
export const NATIVE_NODE_MODULES = path.join(NATIVE_DIR, 'node_modules');

/** The Lambda platform the packages are installed for; must match the functions' architecture (arm64). */
export const LAMBDA_PLATFORM = { os: 'linux', cpu: 'arm64', libc: 'glibc' } as const;

interface PackageJson {
  name: string;
  version: string;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

function readPackage(dir: string): PackageJson | undefined {
  const file = path.join(dir, 'package.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as PackageJson) : undefined;
}

function installNativeModules(): void {
  // Only reached when `npm ci` ran with --ignore-scripts (no postinstall): install now, from the registry.
  process.stderr.write(`Installing Lambda-platform native modules in ${NATIVE_DIR} (npm ci) ...\n`);
  const res = spawnSync(
    'npm',
    ['ci', `--cpu=${LAMBDA_PLATFORM.cpu}`, `--os=${LAMBDA_PLATFORM.os}`, `--libc=${LAMBDA_PLATFORM.libc}`],
    {
      cwd: NATIVE_DIR,
      stdio: ['ignore', process.stderr, process.stderr],
      shell: process.platform === 'win32',
    },
  );
  if (res.status !== 0) {
    throw new Error(
      `Could not install Lambda native modules: run \`npm run cdk:native\` and read its output`,
    );
  }
}

/**
 * Package directories (names relative to node_modules) that `names` need at run time on Lambda: the
 * packages, their dependencies and the optional dependencies installed for the Lambda platform. Checks
 * that each one is the version the project itself uses and carries no binary for another platform.
 */
export function nativeModuleClosure(names: readonly string[]): string[] {
  if (names.length === 0) return [];
  if (!names.every((n) => existsSync(path.join(NATIVE_NODE_MODULES, n, 'package.json'))))
    installNativeModules();
  const seen = new Set<string>();
  const queue = [...names];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    const pkg = readPackage(path.join(NATIVE_NODE_MODULES, name));
    if (!pkg) {
      if (names.includes(name)) {
        throw new Error(`${name} is not declared in ${path.join(NATIVE_DIR, 'package.json')}: add it there`);
      }
      continue; // an optional dependency for another platform, which npm rightly skipped
    }
    for (const [field, want] of Object.entries(LAMBDA_PLATFORM)) {
      const allowed = pkg[field as keyof typeof LAMBDA_PLATFORM];
      if (allowed && !allowed.includes(want)) {
        throw new Error(`${name}@${pkg.version} is built for ${field}=${allowed.join(',')}, not ${want}`);
      }
    }
    seen.add(name);
    queue.push(...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {}));
  }
  for (const name of names) {
    const host = readPackage(path.join(REPO_ROOT, 'node_modules', name));
    const lambda = readPackage(path.join(NATIVE_NODE_MODULES, name))!;
    if (host && host.version !== lambda.version) {
      throw new Error(
        `${name} differs between the project (${host.version}) and infra/cdk/lambda-native (${lambda.version}): ` +
          'set the same version in infra/cdk/lambda-native/package.json and run `npm run cdk:native`',
      );
    }
  }
  return [...seen].sort();
}

const sh = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Shell commands (run by NodejsFunction's afterBundling hook) copying the closure into `outputDir`. */
export function copyNativeModulesCommands(names: readonly string[], outputDir: string): string[] {
  return nativeModuleClosure(names).map((name) => {
    const dest = path.join(outputDir, 'node_modules', name);
    return `mkdir -p ${sh(path.dirname(dest))} && cp -R ${sh(path.join(NATIVE_NODE_MODULES, name))} ${sh(dest)}`;
  });
}
