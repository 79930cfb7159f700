/** Where an exchange-format sink writes when given no directory. */
export const defaultFormatDir = (name: string): string => `./forge-data/${name}`;
