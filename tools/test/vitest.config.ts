import { defineProject } from 'vitest/config'
import { kineProject } from './project.mjs'

export default defineProject(kineProject('repo'))
