import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { SEARCH_ATTRIBUTES } from '../common/search-attributes';

export const SA_ASSET = defineSearchAttributeKey(SEARCH_ATTRIBUTES.asset, SearchAttributeType.KEYWORD);
export const SA_KIND = defineSearchAttributeKey(SEARCH_ATTRIBUTES.kind, SearchAttributeType.KEYWORD);
export const SA_SNAPSHOT = defineSearchAttributeKey(SEARCH_ATTRIBUTES.snapshotId, SearchAttributeType.KEYWORD);
export const SA_SITE = defineSearchAttributeKey(SEARCH_ATTRIBUTES.site, SearchAttributeType.KEYWORD);
