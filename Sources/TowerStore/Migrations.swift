/// The versioned schema. Each migration runs once, in order, inside one transaction;
/// applied versions are recorded in `schema_migrations`. Append new versions, never edit old ones.
public enum Migrations {
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        public let sql: String
    }

    /// The newest schema version this build knows.
    public static var latestVersion: Int { all.last!.version }

    public static let all: [Migration] = [
        Migration(version: 1, name: "initial schema", sql: """
        CREATE EXTENSION IF NOT EXISTS vector;

        -- The catalog. `text_embedding` is MiniLM's vector of the product text (item tower input);
        -- `embedding` is the vector ranking uses: the item tower's output, or the text vector when the
        -- item side is not trained. `text_hash` is the hash of the text `text_embedding` was computed from.
        CREATE TABLE products (
            product_id      bigint PRIMARY KEY,
            name            text NOT NULL,
            merchant        text,
            category_path   text[] NOT NULL DEFAULT '{}',
            color           text,
            price           double precision,
            price_tier      text,
            price_tier_fixed boolean NOT NULL DEFAULT false,
            text_hash       text,
            text_embedding  vector(384),
            embedding       vector(384),
            popularity      double precision NOT NULL DEFAULT 0,
            popularity_fixed boolean NOT NULL DEFAULT false,
            created_at      timestamptz NOT NULL DEFAULT now(),
            updated_at      timestamptz NOT NULL DEFAULT now(),
            active          boolean NOT NULL DEFAULT true
        );
        CREATE INDEX products_active_popularity ON products (popularity DESC, created_at DESC, product_id) WHERE active;
        CREATE INDEX products_category ON products USING gin (category_path);
        CREATE INDEX products_price ON products (price) WHERE active;

        -- Append-only event log: the full history, for training and evaluation. `event_id` is log order.
        CREATE TABLE events (
            event_id     bigserial PRIMARY KEY,
            customer_id  bigint NOT NULL,
            product_id   bigint NOT NULL,
            event_name   text NOT NULL,
            occurred_at  timestamptz NOT NULL,
            message_id   text,
            recorded_at  timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX events_time ON events (occurred_at, event_id);
        CREATE INDEX events_customer_time ON events (customer_id, occurred_at, event_id);
        CREATE UNIQUE INDEX events_message ON events (message_id) WHERE message_id IS NOT NULL;

        -- The per-user window the daemon reads: recent interactions only (pruned past the window).
        CREATE TABLE interactions (
            customer_id  bigint NOT NULL,
            product_id   bigint NOT NULL,
            event_name   text NOT NULL,
            occurred_at  timestamptz NOT NULL,
            event_id     bigint NOT NULL,
            PRIMARY KEY (customer_id, occurred_at, event_id)
        );

        -- One vector per user, in the product space.
        CREATE TABLE user_vectors (
            customer_id   bigint PRIMARY KEY,
            embedding     vector(384) NOT NULL,
            model_version text NOT NULL,
            updated_at    timestamptz NOT NULL DEFAULT now()
        );

        -- Message ids already applied: redelivered messages are recognised and skipped.
        CREATE TABLE processed_messages (
            message_id    text PRIMARY KEY,
            processed_at  timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX processed_messages_time ON processed_messages (processed_at);
        """),
        Migration(version: 2, name: "neighbours, trending, re-ranker parameters", sql: """
        -- Top neighbours per product (at most 100 per product and kind), refreshed by `tower train` and the
        -- daemon's sweep. 'covisit': co-occurrence of any events in customers' histories, event-weighted,
        -- cosine-normalised; 'bought': the same over cart/purchase-weight events only (bought-together).
        CREATE TABLE product_neighbors (
            product_id  bigint NOT NULL,
            kind        text   NOT NULL,
            neighbor_id bigint NOT NULL,
            score       real   NOT NULL,
            PRIMARY KEY (product_id, kind, neighbor_id)
        );

        -- Weighted events per product over the last 1/7/30 days before the newest event, and a velocity
        -- score (recent rate against the 30-day baseline); refreshed at least hourly by the daemon's sweep.
        CREATE TABLE product_trending (
            product_id   bigint PRIMARY KEY,
            weight_1d    real NOT NULL,
            weight_7d    real NOT NULL,
            weight_30d   real NOT NULL,
            trend_score  real NOT NULL,
            refreshed_at timestamptz NOT NULL
        );
        CREATE INDEX product_trending_score ON product_trending (trend_score DESC, product_id);
        CREATE INDEX product_trending_7d ON product_trending (weight_7d DESC, product_id);

        -- Published re-ranker parameters (TowerRerank JSON) with the event weights they were trained with
        -- (JSON object name → weight, for the history features); the newest `published_at` row is served.
        CREATE TABLE rerank_parameters (
            version       text PRIMARY KEY,
            parameters    text NOT NULL,
            event_weights text NOT NULL,
            published_at timestamptz NOT NULL DEFAULT clock_timestamp()
        );
        CREATE INDEX rerank_parameters_published ON rerank_parameters (published_at DESC, version);
        """),
        Migration(version: 3, name: "producer event ids", sql: """
        -- Producers' `event_id`s already recorded (ProducerEventID): an event whose id is here and younger than
        -- TOWER_EVENT_ID_HORIZON is a producer's retry and is skipped. `message_id`: the queue message that
        -- carried it first (NULL for `tower events import`). Rows older than the horizon are pruned by the sweep.
        CREATE TABLE producer_event_ids (
            event_id    text PRIMARY KEY,
            message_id  text,
            seen_at     timestamptz NOT NULL
        );
        CREATE INDEX producer_event_ids_time ON producer_event_ids (seen_at);
        """),
    ]
}
