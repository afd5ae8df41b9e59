/**
 * Custom Temporal search attributes of lepton-dr runs. Registered by the local stack and the
 * test server (`temporal server start-dev --search-attribute NAME=TYPE`), set by workflows.
 * Plain strings only: this module is imported by workflows, the engine and the CLI alike.
 */
export const SEARCH_ATTRIBUTES = {
  asset: 'LeptonAsset',
  kind: 'LeptonKind',
  snapshotId: 'LeptonSnapshotId',
  site: 'LeptonSite',
} as const;

export type SearchAttributeRole = keyof typeof SEARCH_ATTRIBUTES;
export type SearchAttributeName = (typeof SEARCH_ATTRIBUTES)[SearchAttributeRole];

/** Value types understood by the Temporal CLI's `--search-attribute` flag. */
export type SearchAttributeType = 'Text' | 'Keyword' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';

export const SEARCH_ATTRIBUTE_TYPES: Readonly<Record<SearchAttributeName, SearchAttributeType>> = {
  LeptonAsset: 'Keyword',
  LeptonKind: 'Keyword',
  LeptonSnapshotId: 'Keyword',
  LeptonSite: 'Keyword',
};

/** `--search-attribute NAME=TYPE` pairs for `temporal server start-dev`. */
export function searchAttributeCliArgs(): string[] {
  return Object.entries(SEARCH_ATTRIBUTE_TYPES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]);
}
