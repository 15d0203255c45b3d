// Run by run.sh: drives bedrock-sim at the URL in argv[2] with the AWS SDK for JavaScript v3.
import assert from "node:assert/strict";
import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand } from "@aws-sdk/client-bedrock-runtime";
import { BedrockClient, GetInferenceProfileCommand } from "@aws-sdk/client-bedrock";

const endpoint = process.argv[2];
const credentials = { accessKeyId: "AKIDJS", secretAccessKey: "js-secret" };
const count = [{ role: "user", content: [{ text: "Count from 1 to 5, separated by spaces." }] }];
const runtime = new BedrockRuntimeClient({ region: "us-east-1", endpoint, credentials });
const control = new BedrockClient({ region: "us-east-1", endpoint, credentials });
const wrongSecret = new BedrockRuntimeClient({ region: "us-east-1", endpoint, credentials: { ...credentials, secretAccessKey: "nope" } });

const out = await runtime.send(new ConverseCommand({ modelId: "us.amazon.nova-lite-v1:0", messages: count }));
assert.equal(out.output.message.content[0].text, "1 2 3 4 5");

const stream = await runtime.send(new ConverseStreamCommand({ modelId: "amazon.nova-lite-v1:0", messages: count }));
let text = "";
for await (const event of stream.stream) {
  if (event.contentBlockDelta) text += event.contentBlockDelta.delta.text;
}
assert.equal(text, "1 2 3 4 5");

await assert.rejects(runtime.send(new ConverseCommand({ modelId: "eu.sim.eu-only-v1", messages: count })),
  { name: "ValidationException", message: "The provided model identifier is invalid." });

const profile = await control.send(new GetInferenceProfileCommand({ inferenceProfileIdentifier: "us.amazon.nova-lite-v1:0" }));
assert.equal(profile.type, "SYSTEM_DEFINED");
assert.equal(profile.models.length, 2);

await assert.rejects(wrongSecret.send(new ConverseCommand({ modelId: "amazon.nova-lite-v1:0", messages: count })),
  { name: "InvalidSignatureException" });

runtime.destroy();
control.destroy();
wrongSecret.destroy();
