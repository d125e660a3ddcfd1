// The official CM.com Node SDK (@cmdotcom/text-sdk), unchanged, against the fakes at argv[2]
// (its public `api.basePath`, as for the Python SDK's `gateway`); prints the gateway's answer.
import cm from '@cmdotcom/text-sdk';

const [base, productToken] = process.argv.slice(2);
const client = new cm.MessageApiClient(productToken);
const message = client.createMessage().setMessage(['0034600000010'], 'Shop', 'Hello from Node', 'node-1');
message.api.basePath = base;
const response = await message.send();
console.log(JSON.stringify({ status: response.status, body: response.body ?? response.data }));
