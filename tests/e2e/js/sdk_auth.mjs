// SDK 0.28.1: superuser login through `_superusers` and through the `pb.admins` alias,
// the authStore view of it, auth-refresh, and a wrong password.
import PocketBase, { ClientResponseError } from "pocketbase";

const { PB_URL, PB_EMAIL, PB_PASSWORD } = process.env;
const out = {};

const pb = new PocketBase(PB_URL);
const viaCollection = await pb.collection("_superusers").authWithPassword(PB_EMAIL, PB_PASSWORD);
out.collectionKeys = Object.keys(viaCollection).sort();
out.collectionRecord = {
  email: viaCollection.record.email,
  collectionName: viaCollection.record.collectionName,
  collectionId: viaCollection.record.collectionId,
  verified: viaCollection.record.verified,
  hasPassword: "password" in viaCollection.record,
  hasTokenKey: "tokenKey" in viaCollection.record,
};
out.isValid = pb.authStore.isValid;
out.isSuperuser = pb.authStore.isSuperuser;
out.storeRecordEmail = pb.authStore.record?.email ?? null;
out.storeTokenIsResponseToken = pb.authStore.token === viaCollection.token;

const refreshed = await pb.collection("_superusers").authRefresh();
out.refreshKeys = Object.keys(refreshed).sort();
out.refreshSameRecord = refreshed.record.id === viaCollection.record.id;
out.refreshIsSuperuser = pb.authStore.isSuperuser;
out.refreshStoredToken = pb.authStore.token === refreshed.token;
// a superuser-only endpoint works with the stored token
out.collectionsTotal = (await pb.collections.getList(1, 1)).totalItems;

pb.authStore.clear();
out.clearedValid = pb.authStore.isValid;
out.clearedRecord = pb.authStore.record;

const admins = new PocketBase(PB_URL);
const viaAdmins = await admins.admins.authWithPassword(PB_EMAIL, PB_PASSWORD);
out.adminsKeys = Object.keys(viaAdmins).sort();
out.adminsRecordEmail = viaAdmins.record.email;
out.adminsIsSuperuser = admins.authStore.isSuperuser;
out.adminsIsAdminAlias = admins.authStore.isAdmin;
const adminsRefreshed = await admins.admins.authRefresh();
out.adminsRefreshValid = admins.authStore.isValid && adminsRefreshed.record.email === PB_EMAIL;

const guest = new PocketBase(PB_URL);
try {
  await guest.collection("_superusers").authWithPassword(PB_EMAIL, "wrong-password");
  out.wrongPassword = "accepted";
} catch (err) {
  out.wrongPassword = {
    isClientResponseError: err instanceof ClientResponseError,
    status: err.status,
    message: err.response.message,
  };
}
out.guestValid = guest.authStore.isValid;
try {
  await guest.collections.getList(1, 1);
  out.guestCollections = "allowed";
} catch (err) {
  out.guestCollections = { status: err.status, message: err.response.message };
}
console.log(JSON.stringify(out));
