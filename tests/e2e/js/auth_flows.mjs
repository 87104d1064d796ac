// SDK 0.28.1: password, refresh, OTP (code read by the Python side from SMTP), impersonate.
import PocketBase from "pocketbase";
import { readFileSync, existsSync } from "node:fs";

const [base, suEmail, suPassword, codeFile] = process.argv.slice(2);
const out = {};
const su = new PocketBase(base);
await su.collection("_superusers").authWithPassword(suEmail, suPassword);
await su.collections.update("users", { otp: { enabled: true }, createRule: "" });

const pb = new PocketBase(base);
const user = await pb.collection("users").create({ email: "sdk@example.com", password: "1234567890", passwordConfirm: "1234567890" })
  .catch(() => null);
const auth = await pb.collection("users").authWithPassword("sdk@example.com", "1234567890");
out.recordEmail = auth.record.email;
out.isValid = pb.authStore.isValid;
out.modelIsRecord = pb.authStore.model?.id === auth.record.id;
const ref = await pb.collection("users").authRefresh();
out.refreshed = ref.token !== "" && pb.authStore.record.id === auth.record.id;
pb.authStore.clear();
out.clearedValid = pb.authStore.isValid;

const { otpId } = await pb.collection("users").requestOTP("sdk@example.com");
out.otpId = otpId.length;
let code = "";
for (let i = 0; i < 200 && !code; i++) {
  if (existsSync(codeFile)) code = readFileSync(codeFile, "utf8").trim();
  else await new Promise((r) => setTimeout(r, 50));
}
// the mail reaches the SMTP server a moment before its sentTo is stored (as in PocketBase);
// a person reads it later: wait for sentTo, which is what makes the OTP prove the address
for (let i = 0; i < 100; i++) {
  const row = await su.collection("_otps").getOne(otpId).catch(() => null);
  if (row?.sentTo) break;
  await new Promise((r) => setTimeout(r, 50));
}
const viaOtp = await pb.collection("users").authWithOTP(otpId, code);
out.otpVerified = viaOtp.record.verified;

const imp = await su.collection("users").impersonate(viaOtp.record.id, 60);
out.impersonated = imp.authStore.record.id === viaOtp.record.id && imp.authStore.isValid;
console.log(JSON.stringify(out));
