import type { BaseMessage } from "@langchain/core/messages";

/** What `callStructured` needs of a model: `BaseChatModel` and the scripted fakes both fit. */
export interface ChatModelLike {
  invoke(input: BaseMessage[], options?: { signal?: AbortSignal }): Promise<BaseMessage>;
}

/** The text of a message: a string content, or its text blocks joined (reasoning blocks skipped). */
export function messageText(message: BaseMessage): string {
  const content = message.content;
  if (typeof content === "string") return content;
  return content.map((block) => (typeof block === "string" ? block : block.type === "text" && typeof block.text === "string" ? block.text : "")).join("");
}
