// Settings every vitest project in the repo shares. Each package's vitest.config.ts
// calls kineProject(); tools/test/vitest.config.mjs gathers them all for `pnpm test`.

/** Environment for every test: all AWS traffic goes to loopback emulators, and the SDK
 * must never look for credentials at the instance metadata address. */
export const testEnv = {
  AWS_EC2_METADATA_DISABLED: 'true',
  // The pinned SDK warns on Node 20 about its releases after January 2027; kine pins its versions.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  AWS_ACCESS_KEY_ID: 'kinetest',
  AWS_SECRET_ACCESS_KEY: 'kinetest',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
}

// Serial projects run one after another, each in its own group after every parallel project
// (group 0): projects that share a group would run at the same time.
const SERIAL_GROUPS = ['lease', 'demo', 'pack', 'chaos']

/**
 * @param {string} name project name shown by vitest
 * @param {{ serial?: boolean }} [opts] serial: only `*.serial.test.ts` files, run one at a time
 *   (liveness bounds that would flake if the machine were busy with other files)
 */
export function kineProject(name, opts = {}) {
  const serial = opts.serial === true
  return {
    test: {
      name: serial ? `${name}-serial` : name,
      include: serial ? ['test/**/*.serial.test.ts'] : ['src/**/*.test.ts', 'test/**/*.test.ts'],
      exclude: serial ? [] : ['test/**/*.serial.test.ts', '**/node_modules/**', '**/dist/**'],
      env: testEnv,
      testTimeout: 60_000,
      hookTimeout: 60_000,
      ...(serial ? { fileParallelism: false, sequence: { groupOrder: serialGroup(name) } } : {}),
    },
  }
}

function serialGroup(name) {
  const index = SERIAL_GROUPS.indexOf(name)
  return 1 + (index === -1 ? SERIAL_GROUPS.length : index)
}
