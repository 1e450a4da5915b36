#!/usr/bin/env node
// The `kine` command: oclif finds the commands through package.json's `oclif` section.
import { execute } from '@oclif/core'

// The AWS SDK warns on every run under Node 20 that its future releases will need Node 22: a
// note for whoever pins the SDK, not for someone running `kine` (set it to false to see it).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

await execute({ dir: import.meta.url })
