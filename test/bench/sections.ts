/** Which sections of `pnpm bench` run: `--only` names the ones to run (all when empty), `--skip` the ones to leave out. */

/** The bench's sections, in the order they run. */
export const SECTIONS = ["1", "2", "3", "4", "5", "lag", "backfill", "distributed"] as const
export type Section = (typeof SECTIONS)[number]

/** A section list that names something the bench does not have; the message names the flag. */
export class SectionError extends Error {}

const parseList = (flag: string, raw: string): Array<Section> => {
  const names = raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
  for (const n of names)
    if (!(SECTIONS as ReadonlyArray<string>).includes(n))
      throw new SectionError(`--${flag} lists sections ${SECTIONS.join(", ")} (got "${n}")`)
  return names as Array<Section>
}

/** The sections to run: those `--only` names (every one when it is empty), less those `--skip` names. */
export const selectSections = (only: string, skip: string): ReadonlySet<Section> => {
  const chosen = parseList("only", only)
  const left = new Set(parseList("skip", skip))
  const run = new Set<Section>((chosen.length === 0 ? SECTIONS : chosen).filter((s) => !left.has(s)))
  if (run.size === 0) throw new SectionError(`--only ${only} with --skip ${skip} leaves no section to run`)
  return run
}
