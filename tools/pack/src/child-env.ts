// The environment of every command the test runs (npm, npx, the apps): the machine's own, less
// anything that would make the child behave unlike an app in a fresh shell, plus dummy AWS
// credentials so nothing can reach a real account or the instance metadata address.

/** Dummy credentials: letters and digits only, accepted by every emulator, by no AWS account. */
export const dummyCredentials = { accessKeyId: 'kinepack', secretAccessKey: 'kinepack' } as const

// pnpm, npm and vitest put their own variables in the test's environment: npm would take
// `npm_config_*` ones as its configuration (`npm test` even sets `npm_config_local_prefix` to the
// workspace, where `npm install` would then write), and the developer's AWS_* must not reach the
// apps. Only the npm settings of how to reach the registry are kept.
const dropped = [/^npm_/i, /^pnpm_/i, /^vitest/i, /^aws_/i, /^turbo_/i]
const keptNpmSettings = new Set(
  [
    'registry',
    'proxy',
    'https_proxy',
    'noproxy',
    'cafile',
    'ca',
    'strict_ssl',
    'cache',
    'userconfig',
    'globalconfig',
  ].map((name) => `npm_config_${name}`),
)

function keep(key: string): boolean {
  if (keptNpmSettings.has(key.toLowerCase())) return true
  return !dropped.some((pattern) => pattern.test(key))
}

/**
 * The environment for a child, with `extra` on top. `emptyFile` (an existing empty file) is given
 * as the AWS config and credentials files, so a developer's `~/.aws` never leaks into a run.
 */
export function childEnv(
  emptyFile: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && keep(key)) env[key] = value
  }
  return {
    ...env,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: dummyCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: dummyCredentials.secretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_CONFIG_FILE: emptyFile,
    AWS_SHARED_CREDENTIALS_FILE: emptyFile,
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    COLUMNS: '200',
    ...extra,
  }
}
