/** The AMQP URL as the connection uses it: the heartbeat amqplib reads only from the URL, and the password never shown. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { maskedUrl, withHeartbeat } from '../../events/amqp/connection.ts';

describe('AMQP connection URL', () => {
  it('adds the heartbeat unless the URL sets one, keeping credentials and vhost as written', () => {
    assert.equal(withHeartbeat('amqp://guest:guest@127.0.0.1:5672', 10), 'amqp://guest:guest@127.0.0.1:5672?heartbeat=10');
    assert.equal(withHeartbeat('amqps://svc:p%40ss@mq.chu.example/hospital%2Fprod?frameMax=8192', 5), 'amqps://svc:p%40ss@mq.chu.example/hospital%2Fprod?frameMax=8192&heartbeat=5');
    assert.equal(withHeartbeat('amqp://mq.chu.example?heartbeat=30', 10), 'amqp://mq.chu.example?heartbeat=30');
  });

  it('masks the password for logs', () => {
    assert.equal(maskedUrl('amqp://svc:secret@mq.chu.example:5672/prod'), 'amqp://svc:***@mq.chu.example:5672/prod');
    assert.equal(maskedUrl('not a url'), '(unparsable AMQP URL)');
  });
});
