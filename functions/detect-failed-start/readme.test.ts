import { describe, expect, it } from 'vitest';
import { chatbotCustomNotification } from '../../test/support/chatbot-notification';
import { readmeSamples, sampleMessages, subscriberSamples } from '../../test/support/failed-start-samples';

describe('README: one problem as each subscriber receives it', () => {
  it('shows what the formatter sends (regenerate: npx tsx test/support/failed-start-samples.ts --write)', () => {
    expect(readmeSamples()).toBe(subscriberSamples().trim());
  });

  it('shows a firing, a repeat and a resolved message, the chat ones in Chatbot’s documented format', () => {
    const samples = sampleMessages();
    expect(samples.map(({ kind, message }) => [kind, message.data.status])).toEqual([
      ['new', 'firing'],
      ['repeat', 'firing'],
      ['resolved', 'resolved'],
    ]);
    for (const { message } of samples) {
      expect(chatbotCustomNotification.safeParse(message.chat).error?.issues ?? []).toEqual([]);
      expect(message.sms.length).toBeLessThan(160);
      expect(message.subject.length).toBeLessThan(100);
    }
    expect(new Set(samples.map(({ message }) => message.subject)).size).toBe(1);
  });
});
