export declare function moduleExports(entry: string): string[]
export declare function optionKeys(entry: string, typeName: string): string[]
export declare function readReadme(packageDir: string): string
export declare function section(readme: string, heading: string): string
export declare function listedNames(text: string): string[]
export declare function tableFirstColumns(text: string): string[][]
