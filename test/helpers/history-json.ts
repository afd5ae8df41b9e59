import { createRequire } from 'node:module';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

/**
 * A history as the Temporal CLI writes it (`temporal workflow show --output json`) as a History
 * object. The SDK's own historyFromJSON cannot be used here: @temporalio/common and
 * @temporalio/proto each get their own copy of protobufjs 8 (the root holds protobufjs 7 for
 * grpc), and protobufjs refuses types built by the other copy. So the proto package's copy parses.
 */
type ProtoJson = { fromJson(type: unknown, json: unknown, opts: { ignoreUnknownFields: boolean }): unknown };
const protojson = createRequire(require.resolve('@temporalio/proto/package.json'))('protobufjs/ext/protojson') as ProtoJson;
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType('temporal.api.history.v1.History');

export function historyFromCliJson(json: unknown): proto.temporal.api.history.v1.History {
  const h = protojson.fromJson(historyType, json, { ignoreUnknownFields: true });
  if (!h) throw new TypeError('not a history');
  return h as proto.temporal.api.history.v1.History;
}
