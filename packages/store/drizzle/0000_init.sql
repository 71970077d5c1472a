CREATE TABLE "resource_changes" (
	"revision" bigserial PRIMARY KEY NOT NULL,
	"op" text NOT NULL,
	"type" text NOT NULL,
	"mesh" text DEFAULT '' NOT NULL,
	"name" text NOT NULL,
	"version" bigint NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "resource_unique_keys" (
	"type" text NOT NULL,
	"mesh" text COLLATE "C" DEFAULT '' NOT NULL,
	"key" text NOT NULL,
	"name" text COLLATE "C" NOT NULL,
	CONSTRAINT "resource_unique_keys_pkey" PRIMARY KEY("type","mesh","key")
);
--> statement-breakpoint
CREATE TABLE "resources" (
	"type" text NOT NULL,
	"mesh" text COLLATE "C" DEFAULT '' NOT NULL,
	"name" text COLLATE "C" NOT NULL,
	"spec" jsonb NOT NULL,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"tags" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"version" bigint NOT NULL,
	"origin" text DEFAULT 'local' NOT NULL,
	"zone" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"modified_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "resources_pkey" PRIMARY KEY("type","mesh","name")
);
--> statement-breakpoint
CREATE INDEX "resource_changes_at_idx" ON "resource_changes" USING btree ("at");--> statement-breakpoint
CREATE INDEX "resource_unique_keys_owner_idx" ON "resource_unique_keys" USING btree ("type","mesh","name");--> statement-breakpoint
CREATE INDEX "resources_mesh_idx" ON "resources" USING btree ("mesh");--> statement-breakpoint
CREATE INDEX "resources_tags_idx" ON "resources" USING gin ("tags");--> statement-breakpoint
CREATE INDEX "resources_labels_idx" ON "resources" USING gin ("labels");