// The official Sinch Node SDK (@sinch/sdk-core + @sinch/sms), unchanged, against the fakes at
// argv[2]: send a batch, read it back, list it, read its delivery report; create, update, replace,
// list and delete groups and send to one; prints JSON results.
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
const vip = await sinch.sms.groups.create({
  createGroupRequestBody: { name: 'vip', members: ['+34600000020', '+34600000021'] },
});
const other = await sinch.sms.groups.create({ createGroupRequestBody: { members: ['+34600000022'] } });
const updated = await sinch.sms.groups.update({
  group_id: vip.id,
  updateGroupRequestBody: { add: ['+34600000023'], remove: ['+34600000020'], add_from_group: other.id },
});
const members = await sinch.sms.groups.listMembers({ group_id: vip.id });
const replaced = await sinch.sms.groups.replace({
  group_id: other.id, replaceGroupRequestBody: { name: 'other', members: ['+34600000024'] },
});
const toGroup = await sinch.sms.batches.send({
  sendSMSRequestBody: { to: [vip.id], from: 'Shop', body: 'To the group' },
});
await sinch.sms.groups.delete({ group_id: other.id });
const groupsLeft = (await sinch.sms.groups.list({ page_size: 10 })).data.map((g) => g.id);
const groups = { vip, updated, members, replaced, toGroup: toGroup.to, groupsLeft };
console.log(JSON.stringify({ sent, got, listed: page.data.map((b) => b.id), report, unknownGroup, groups }));
