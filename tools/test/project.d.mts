import type { UserWorkspaceConfig } from 'vitest/config'

export declare const testEnv: Record<string, string>
export declare function kineProject(name: string, opts?: { serial?: boolean }): UserWorkspaceConfig
