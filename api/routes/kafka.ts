/**
 * The #/kafka page's API (docs/kafka-page.md), over the cluster given to the app (`ticklake start`: its own;
 * `ticklake serve --brokers`): without one every route answers 503 TL_KAFKA_OFF.
 *
 *   GET    /api/kafka/topics                               topics, partitions, offsets, message counts
 *   GET    /api/kafka/topics/:topic/configs                the topic's configs
 *   GET    /api/kafka/topics/:topic/messages?partition=&offset=&limit=&key=   the message browser
 *   GET    /api/kafka/groups                               groups, members, committed offsets, lag per partition
 *   POST   /api/kafka/groups/:group/delete                 (token) delete the group
 *   POST   /api/kafka/groups/:group/offsets                (token) {topic, to: earliest|latest|offsets, partitions?}
 *   POST   /api/kafka/topics/:topic/partitions             (token) {count}: the new partition count
 *   POST   /api/kafka/topics/:topic/delete-records         (token) {partition, offset}: delete records below offset
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { tlError } from '../../core/errors.js';
import { addPartitions, deleteGroup, deleteRecords, type ResetTo, resetOffsets } from '../kafka/actions.js';
import { KafkaPageClient } from '../kafka/client.js';
import { listGroups, listTopics, topicConfigs } from '../kafka/inspect.js';
import { browseMessages } from '../kafka/messages.js';
import { requireToken } from '../plugins/auth.js';

const tags = ['kafka'];

function intParam(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v))
    throw tlError('TL_API_BAD_PARAM', { param: name, reason: `expected a whole number, got "${v}"` });
  const n = Number(v);
  if (n < min) throw tlError('TL_API_BAD_PARAM', { param: name, reason: `must be at least ${min}` });
  return n;
}

export async function kafkaRoutes(
  app: FastifyInstance,
  opts: { kafka?: { brokers: string[] }; token?: string },
): Promise<void> {
  const client = opts.kafka?.brokers.length ? new KafkaPageClient(opts.kafka.brokers) : undefined;
  app.addHook('onClose', async () => client?.close());
  const k = (): KafkaPageClient => {
    if (!client) throw tlError('TL_KAFKA_OFF');
    return client;
  };
  const guard = { preHandler: requireToken(opts.token) };
  const secured = { security: [{ bearer: [] }] };

  app.get('/api/kafka/topics', { schema: { summary: 'Topics with partitions and offsets', tags } }, async () => ({
    brokers: k().brokers,
    topics: await listTopics(k()),
  }));

  app.get('/api/kafka/topics/:topic/configs', { schema: { summary: "A topic's configs", tags } }, async (req) =>
    topicConfigs(k(), (req.params as { topic: string }).topic),
  );

  app.get(
    '/api/kafka/topics/:topic/messages',
    { schema: { summary: 'Messages of a partition from an offset, with headers; key search', tags } },
    async (req) => {
      const { topic } = req.params as { topic: string };
      const q = req.query as Record<string, string | undefined>;
      const partition = intParam('partition', q.partition, 0) ?? 0;
      const topics = await listTopics(k());
      const t = topics.find((x) => x.name === topic);
      if (!t) throw tlError('TL_API_NOT_FOUND', { what: `topic "${topic}"` });
      const p = t.partitions.find((x) => x.partition === partition);
      if (!p) throw tlError('TL_API_NOT_FOUND', { what: `partition ${partition} of topic "${topic}"` });
      return browseMessages(k().kafka, {
        topic,
        partition,
        offset: intParam('offset', q.offset, Number.MIN_SAFE_INTEGER),
        limit: intParam('limit', q.limit, 1),
        key: q.key || undefined,
        bounds: { low: p.low, high: p.high },
      });
    },
  );

  app.get(
    '/api/kafka/groups',
    { schema: { summary: 'Consumer groups, members, lag per partition', tags } },
    async () => ({
      groups: await listGroups(k()),
    }),
  );

  app.post(
    '/api/kafka/groups/:group/delete',
    { schema: { summary: 'Delete a consumer group (needs the token)', tags, ...secured }, ...guard },
    async (req) => {
      const { group } = req.params as { group: string };
      await deleteGroup(k(), group);
      return { deleted: group };
    },
  );

  app.post(
    '/api/kafka/groups/:group/offsets',
    {
      schema: {
        summary: "Reset a group's offsets of a topic (needs the token)",
        tags,
        ...secured,
        body: Type.Object(
          {
            topic: Type.String(),
            to: Type.Union([Type.Literal('earliest'), Type.Literal('latest'), Type.Literal('offsets')]),
            partitions: Type.Optional(
              Type.Array(
                Type.Object({ partition: Type.Integer({ minimum: 0 }), offset: Type.Integer({ minimum: 0 }) }),
              ),
            ),
          },
          { additionalProperties: false },
        ),
      },
      ...guard,
    },
    async (req) => {
      const { group } = req.params as { group: string };
      const b = req.body as {
        topic: string;
        to: 'earliest' | 'latest' | 'offsets';
        partitions?: { partition: number; offset: number }[];
      };
      const r: ResetTo = b.to === 'offsets' ? { to: 'offsets', partitions: b.partitions ?? [] } : { to: b.to };
      await resetOffsets(k(), group, b.topic, r);
      return { group, topic: b.topic, to: b.to };
    },
  );

  app.post(
    '/api/kafka/topics/:topic/partitions',
    {
      schema: {
        summary: 'Add partitions to a topic: the new total count (needs the token)',
        tags,
        ...secured,
        body: Type.Object({ count: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
      },
      ...guard,
    },
    async (req) => {
      const { topic } = req.params as { topic: string };
      const { count } = req.body as { count: number };
      await addPartitions(k(), topic, count);
      return { topic, partitions: count };
    },
  );

  app.post(
    '/api/kafka/topics/:topic/delete-records',
    {
      schema: {
        summary: 'Delete the records of a partition below an offset (needs the token)',
        tags,
        ...secured,
        body: Type.Object(
          { partition: Type.Integer({ minimum: 0 }), offset: Type.Integer({ minimum: 0 }) },
          { additionalProperties: false },
        ),
      },
      ...guard,
    },
    async (req) => {
      const { topic } = req.params as { topic: string };
      const { partition, offset } = req.body as { partition: number; offset: number };
      await deleteRecords(k(), topic, partition, offset);
      return { topic, partition, deletedBelow: offset };
    },
  );
}
