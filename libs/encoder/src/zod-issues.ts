import type { z } from 'zod';

/** `path: message; path: message`, the form our errors quote zod's findings in. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}
