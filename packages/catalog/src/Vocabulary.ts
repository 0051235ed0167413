/**
 * Controlled vocabularies: how a raw value finds its vocabulary entry. A value matches an entry by its
 * `value`, `title` or any alias, ignoring case, whitespace, underscores and hyphens.
 */
import type { FieldDecl, VocabularyEntry } from "./Field.js"

/** The matching form of a spelling: lower case, with whitespace, `_` and `-` removed. */
export const canonicalToken = (spelling: string): string => spelling.toLowerCase().replace(/[\s_-]+/gu, "")

/** Every spelling of an entry: its value, title and aliases. */
export const entrySpellings = (entry: VocabularyEntry): ReadonlyArray<string> => [
  entry.value,
  entry.title,
  ...entry.aliases
]

const indexCache = new WeakMap<ReadonlyArray<VocabularyEntry>, ReadonlyMap<string, VocabularyEntry>>()

/** Canonical token → entry, for a vocabulary (the first entry wins when two spellings collide). */
export const vocabularyIndex = (vocabulary: ReadonlyArray<VocabularyEntry>): ReadonlyMap<string, VocabularyEntry> => {
  const cached = indexCache.get(vocabulary)
  if (cached !== undefined) return cached
  const index = new Map<string, VocabularyEntry>()
  for (const entry of vocabulary) {
    for (const spelling of entrySpellings(entry)) {
      const token = canonicalToken(spelling)
      if (token !== "" && !index.has(token)) index.set(token, entry)
    }
  }
  indexCache.set(vocabulary, index)
  return index
}

/** The vocabulary entry a raw spelling names, if any. */
export const matchVocabulary = (field: Pick<FieldDecl, "vocabulary">, spelling: string): VocabularyEntry | undefined =>
  field.vocabulary === undefined ? undefined : vocabularyIndex(field.vocabulary).get(canonicalToken(spelling))
