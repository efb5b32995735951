/**
 * Drop undefined fields so optional properties stay absent, as
 * exactOptionalPropertyTypes requires of MediaStream and MediaMetadata.
 */

/** `T` with every possibly-undefined property made optional and never undefined. */
export type OmitUndefined<T> = {
  [K in keyof T as undefined extends T[K] ? never : K]: T[K];
} & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/** Copy `value` without its undefined properties. */
export function omitUndefined<T extends object>(value: T): OmitUndefined<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as OmitUndefined<T>;
}
