import { defineProject } from 'vitest/config'
import { kineProject } from '@kine-tools/test/project'

export default defineProject(kineProject('chaos', { serial: true }))
