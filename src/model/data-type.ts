/**
 * Column data types, in the shape Spark's StructType JSON gives them — which is also the shape of
 * a Delta table's `schemaString` — so a type read from Spark DDL, declared in TypeScript or read
 * from a Delta log is one value everywhere. Primitive names are Spark's JSON names (`long`, not
 * `bigint`); decimals carry precision and scale in their name.
 */

export type PrimitiveType =
  | 'string'
  | 'long'
  | 'integer'
  | 'short'
  | 'byte'
  | 'float'
  | 'double'
  | 'boolean'
  | 'binary'
  | 'date'
  | 'timestamp'
  | 'timestamp_ntz'
  | `decimal(${number},${number})`;

export interface ArrayType {
  readonly type: 'array';
  readonly elementType: DataType;
  readonly containsNull: boolean;
}

export interface MapType {
  readonly type: 'map';
  readonly keyType: DataType;
  readonly valueType: DataType;
  readonly valueContainsNull: boolean;
}

export interface StructType {
  readonly type: 'struct';
  readonly fields: readonly StructField[];
}

export interface StructField {
  readonly name: string;
  readonly type: DataType;
  readonly nullable: boolean;
  readonly metadata: Readonly<Record<string, unknown>>;
}

export type DataType = PrimitiveType | ArrayType | MapType | StructType;
