export const FILE_FORMATS = ['parquet', 'csv', 'ndjson'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];
export const isFileFormat = (v: unknown): v is FileFormat => FILE_FORMATS.includes(v as FileFormat);
/** Where a file sink writes when given no directory. */
export const defaultFileDir = (format: FileFormat): string => `./forge-data/${format}`;
