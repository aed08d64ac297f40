/**
 * `earshot key --id ID [--scopes realtime,batch,watch] [--name TEXT] [--max-sessions N] [--rpm N]`: makes an API
 * key. The key is printed once, for the client; the record (its hash, scopes and limits) is the line to append to
 * EARSHOT_API_KEYS_FILE. earshot never stores the key itself.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../shared/config.ts';
import { createApiKey, KeyRecord, SCOPES } from '../edge/auth/api-keys.ts';

const USAGE = `usage: earshot key --id ID [--scopes ${SCOPES.join(',')}] [--name TEXT] [--max-sessions N] [--rpm N]\n`;

export function runKey(args: string[]): number {
  const { values } = parseArgs({
    args,
    options: {
      id: { type: 'string' },
      scopes: { type: 'string' },
      name: { type: 'string' },
      'max-sessions': { type: 'string' },
      rpm: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help || !values.id) {
    (values.help ? process.stdout : process.stderr).write(USAGE);
    return values.help ? 0 : 2;
  }
  const number = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const fields = KeyRecord.omit({ hash: true }).safeParse({
    id: values.id,
    scopes: (values.scopes ?? SCOPES.join(',')).split(',').map((s) => s.trim()),
    name: values.name,
    max_sessions: number(values['max-sessions']),
    requests_per_minute: number(values.rpm),
  });
  if (!fields.success) {
    const issue = fields.error.issues[0];
    throw new ConfigError(`earshot key: ${issue?.path.join('.') || 'arguments'}: ${issue?.message ?? 'invalid'}`);
  }
  const { key, record } = createApiKey(fields.data);
  process.stdout.write(
    `key (give it to the client; it is not stored anywhere):\n  ${key}\nrecord (append this line to EARSHOT_API_KEYS_FILE):\n  ${JSON.stringify(record)}\n`,
  );
  return 0;
}
