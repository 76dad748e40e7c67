/**
 * What open routes (/readyz) and answers may say about the model: its name, never the folder it was loaded
 * from (a path tells a stranger about the host's layout and users). A Hugging Face cache folder,
 * `.../models--org--name/snapshots/<revision>`, is named `org/name`; any other folder by its last part.
 */
export function modelName(modelDir: string): string {
  const cached = /(?:^|[\\/])models--([^\\/]+?)--([^\\/]+)[\\/]snapshots(?:[\\/]|$)/.exec(modelDir);
  if (cached !== null) return `${cached[1]}/${cached[2]}`;
  return modelDir.split(/[\\/]+/).findLast((part) => part !== '') ?? 'model';
}

/** Absolute file-system paths in a message (e.g. a store's error), each as `<path>`, for an open route. */
export function withoutPaths(message: string): string {
  return message.replace(
    /(^|[\s('"`=:,[])(?:[A-Za-z]:)?[\\/](?![\\/])[^\s'"`),\]]*/g,
    (_match, before: string) => `${before}<path>`,
  );
}
