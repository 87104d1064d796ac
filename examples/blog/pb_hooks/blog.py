"""The blog's server logic: hooks, a custom route, a nightly job and a mail hook."""

from datetime import UTC, datetime, timedelta

from satchel.hooks import NotFoundError, Record, app, require_auth

# -- posts: the author is whoever is signed in, whatever the body says ----------------------


@app.on_record_create_request("posts")
def stamp_post_author(e):
    if e.auth is not None:  # a guest is refused by the createRule after this
        e.record.set("author", e.auth.id)
    e.record.set("comments_count", 0)
    e.next()


@app.on_record_create_request("comments")
def stamp_comment_author(e):
    if e.auth is not None:
        e.record.set("author", e.auth.id)
    e.next()


# -- the comment counter: model hooks, inside the comment's own transaction ------------------


@app.on_record_create("comments")
def count_comment(e):
    e.next()  # the comment is written; the counter below commits (or rolls back) with it
    post = app.find_record_by_id("posts", e.record.get("post"))
    post.set("comments_count+", 1)
    app.save(post)


@app.on_record_delete("comments")
def uncount_comment(e):
    post_id = e.record.get("post")
    e.next()
    try:
        post = app.find_record_by_id("posts", post_id)
    except NotFoundError:
        return  # the post itself is being deleted (cascade)
    post.set("comments_count-", 1)
    app.save(post)


# -- a custom route -----------------------------------------------------------------------


@app.router.get("/api/blog/my-posts", require_auth("users"))
def my_posts(e):
    posts = app.find_records_by_filter("posts", "author = {:me}", "-created", 50, 0, {"me": e.auth.id})
    return e.json(200, {"items": posts, "total": len(posts)})


# -- a nightly job ------------------------------------------------------------------------


@app.cron("nightly-digest", "0 3 * * *")
def nightly_digest():
    since = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S.000Z")
    posts = app.find_records_by_filter("posts", "created >= {:since}", "-comments_count", 0, 0, {"since": since})
    top = f'; most discussed: "{posts[0].get("title")}"' if posts else ""
    digest = Record(app.find_collection_by_name_or_id("digests"))
    digest.set("summary", f"{len(posts)} new post(s){top}")
    app.save(digest)


# -- mail ----------------------------------------------------------------------------------


@app.on_mailer_record_verification_send("users")
def welcome_subject(e):
    e.message.subject = "Welcome to the blog! Please verify your email"
    e.next()
