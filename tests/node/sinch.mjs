// The official Sinch Node SDK (@sinch/sdk-core + @sinch/sms), unchanged, against the fakes at
// argv[2]: send a batch, read it back, list it, read its delivery report; prints JSON results.
import { SinchClient } from '@sinch/sdk-core';

const [base, servicePlanId, apiToken] = process.argv.slice(2);
const sinch = new SinchClient({ servicePlanId, apiToken, smsRegion: 'us' });
sinch.sms.setHostname(base);

const sent = await sinch.sms.batches.send({
  sendSMSRequestBody: { to: ['+34600000010'], from: 'Shop', body: 'Hello from Node',
                        delivery_report: 'none', client_reference: 'node-1' },
});
const got = await sinch.sms.batches.get({ batch_id: sent.id });
const page = await sinch.sms.batches.list({ page_size: 10 });
const report = await sinch.sms.deliveryReports.get({ batch_id: sent.id, type: 'full' });
let unknownGroup;
try {
  await sinch.sms.batches.send({ sendSMSRequestBody: { to: ['01FC66621VHDBN119Z8PMV1QPU'], from: 'Shop', body: 'x' } });
} catch (error) {
  unknownGroup = String(error.message || error);
}
console.log(JSON.stringify({ sent, got, listed: page.data.map((b) => b.id), report, unknownGroup }));
