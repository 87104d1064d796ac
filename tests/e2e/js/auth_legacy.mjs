// The guide's pb.admins.* calls with SDK 0.21.5, and the same server with SDK 0.28.1.
import Legacy from "pocketbase-legacy";
import PocketBase from "pocketbase";

const [base, email, password] = process.argv.slice(2);
const out = {};

const old = new Legacy(base);
const auth = await old.admins.authWithPassword(email, password);
out.legacyKeys = Object.keys(auth);
out.legacyIsAdmin = old.authStore.isAdmin;
out.legacyModelEmail = old.authStore.model.email;
out.legacyAvatar = old.authStore.model.avatar;
// the guide's authWithToken equivalent
const again = new Legacy(base);
again.authStore.save(auth.token, null);
await again.admins.authRefresh();
out.legacyRefreshIsAdmin = again.authStore.isAdmin && again.authStore.isValid;
out.legacyList = (await old.admins.getList(1, 5)).items.length;

const pb = new PocketBase(base);
const r = await pb.admins.authWithPassword(email, password);
out.newKeys = Object.keys(r);
out.newIsSuperuser = pb.authStore.isSuperuser;
out.newModelEmail = pb.authStore.model.email;
const refreshed = await pb.collection("_superusers").authRefresh();
out.newRefreshValid = pb.authStore.isValid && refreshed.record.email === email;
pb.authStore.clear();
out.clearedValid = pb.authStore.isValid;
console.log(JSON.stringify(out));
