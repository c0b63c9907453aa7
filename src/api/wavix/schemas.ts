/**
 * The Wavix request schema (SIPTrunkCreateRequest, which POST and the full-replacement PUT share), written
 * from the vendor's OpenAPI document (`additionalProperties: false`; unknown fields are refused) plus
 * `passthrough`, which seed 003 documents as a request field. Lengths and ranges of fields with a canonical
 * meaning come from `CONNECTION_FIELDS`, so the model's rule is the only copy; Wavix-only fields take theirs
 * from `WAVIX_LIMITS`. Cross-field rules (`ip_restrict` needs `allowed_ips`, ...) are checked in `codec.ts`
 * and answered 422.
 */
import { CONNECTION_FIELDS, type ConnectionSettingKey } from '../../model/index.js';
import type { JsonSchema } from '../shared/schema.js';
import { W, WAVIX_LIMITS as L, WAVIX_REQUIRED } from './fields.js';

function maxLength(key: ConnectionSettingKey): number {
  const spec = CONNECTION_FIELDS[key];
  if (spec.kind !== 'string') throw new Error(`${key} is not a string field`);
  return spec.maxLength;
}

function intRange(key: ConnectionSettingKey): { minimum: number; maximum: number } {
  const spec = CONNECTION_FIELDS[key];
  if (spec.kind !== 'int') throw new Error(`${key} is not an integer field`);
  return { minimum: spec.min, maximum: spec.max };
}

const bool: JsonSchema = { type: 'boolean' };

export const trunkRequestSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: [...WAVIX_REQUIRED],
  properties: {
    [W.label]: { type: 'string', minLength: 1, maxLength: maxLength('description') },
    [W.password]: { type: 'string', minLength: L.passwordMinLength, maxLength: maxLength('authPassword') },
    [W.hostRequest]: {
      type: 'object',
      additionalProperties: false,
      required: ['host'],
      properties: { host: { type: 'string', minLength: 1, maxLength: L.ipMaxLength } },
    },
    [W.callerid]: { type: 'string', maxLength: L.calleridMaxLength },
    [W.multipleNumbers]: bool,
    [W.ipRestrict]: bool,
    [W.allowedIps]: {
      type: ['array', 'null'],
      maxItems: L.allowedIpsMaxItems,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['ip'],
        properties: { ip: { type: 'string', minLength: 1, maxLength: L.ipMaxLength } },
      },
    },
    [W.didinfoEnabled]: bool,
    [W.callRestrict]: bool,
    [W.callLimit]: { type: 'integer', minimum: 1, maximum: L.callLimitMax },
    [W.costLimit]: bool,
    [W.maxCallCost]: { type: 'number', minimum: 0, maximum: L.maxCallCostMax },
    [W.channelsRestrict]: bool,
    [W.maxChannels]: { type: 'integer', ...intRange('maxCallsOrig') },
    [W.rewriteEnabled]: bool,
    [W.rewritePrefix]: { type: 'string', maxLength: L.rewriteMaxLength },
    [W.rewriteCond]: { type: 'string', maxLength: L.rewriteMaxLength },
    [W.callRecordingEnabled]: bool,
    [W.transcriptionEnabled]: bool,
    [W.transcriptionThreshold]: { type: 'integer', minimum: 0, maximum: L.transcriptionThresholdMax },
    [W.machineDetectionEnabled]: bool,
    [W.encryptedMedia]: bool,
    [W.passthrough]: bool,
  },
};
