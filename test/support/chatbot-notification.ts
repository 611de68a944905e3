/**
 * AWS Chatbot (Amazon Q Developer in chat applications) custom notifications, as its guide documents
 * them ("Custom notifications using Amazon Q Developer in chat applications", Event schema and Parameter
 * details: https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html). Required: `version`
 * ("1.0"), `source` ("custom"), `content.description`; `textType`, when given, is "client-markdown".
 * Objects are strict: a field the schema does not document is a mistake in our format, not an extension.
 */
import * as z from 'zod';

export const chatbotCustomNotification = z.strictObject({
  version: z.literal('1.0'),
  source: z.literal('custom'),
  id: z.string().min(1).optional(),
  content: z.strictObject({
    textType: z.literal('client-markdown').optional(),
    title: z.string().min(1).optional(),
    description: z.string().min(1),
    nextSteps: z.array(z.string().min(1)).optional(),
    keywords: z.array(z.string().min(1)).optional(),
  }),
  metadata: z
    .strictObject({
      threadId: z.string().min(1).optional(),
      summary: z.string().min(1).optional(),
      eventType: z.string().min(1).optional(),
      relatedResources: z.array(z.string().min(1)).optional(),
      additionalContext: z.record(z.string(), z.string()).optional(),
      enableCustomActions: z.boolean().optional(),
    })
    .optional(),
});

export type ChatbotCustomNotification = z.infer<typeof chatbotCustomNotification>;
